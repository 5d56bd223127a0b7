from . import drmoto_work_order_text_wizard
