from . import drmoto_work_order_text_wizard
from . import drmoto_work_order_parts_wizard
