from . import drmoto_normalize
from . import drmoto_actor
from . import res_company
from . import res_partner
from . import res_users
from . import drmoto_vehicle
from . import drmoto_wechat_identity
