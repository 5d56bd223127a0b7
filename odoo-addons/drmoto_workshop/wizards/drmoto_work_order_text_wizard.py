from odoo import fields, models


class DrmotoWorkOrderTextWizard(models.TransientModel):
    """The web UI's way to pass a text to an action: a diagnosis, a cancel reason, the note
    of a manager's delivery with money owing."""

    _name = "drmoto.work.order.text.wizard"
    _description = "Work order action with a text"

    work_order_id = fields.Many2one("drmoto.work.order", required=True, ondelete="cascade")
    mode = fields.Selection(
        [("diagnosis", "Record diagnosis"), ("cancel", "Cancel work order"), ("override", "Deliver with money owing")],
        required=True, default="diagnosis",
    )
    text = fields.Text(required=True)

    def action_apply(self):
        self.ensure_one()
        wo = self.work_order_id.with_context(drmoto_ui=True)
        if self.mode == "diagnosis":
            wo.action_record_diagnosis(False, False, self.text)
        elif self.mode == "cancel":
            wo.action_cancel(False, False, self.text)
        else:
            return wo.action_deliver(False, False, True, self.text)
        return {"type": "ir.actions.act_window_close"}
