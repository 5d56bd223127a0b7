from . import test_res_company
from . import test_res_partner
from . import test_res_users
from . import test_drmoto_vehicle
from . import test_drmoto_wechat_identity
