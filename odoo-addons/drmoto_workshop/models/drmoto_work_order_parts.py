"""Parts of a work order through stock pickings (docs/odoo-contract.md, issue 4).

Each issue or return is ONE call = ONE transaction that creates and validates ONE picking,
keyed by (work order, request key) with the SHA-256 of its canonical lines. Check order:
1. key: a picking of this work order with this key -> same kind and lines: returned with
   ``replayed: True``, nothing changes; else ``DRM_DUP_KEY``. A key another action of the work
   order used (status log) -> ``DRM_DUP_KEY``.
2. actor: keeper (or manager) for issue/return; technician, advisor (or manager) for a request.
3. state: no issue on draft/closed/cancelled; a return there only while something is issued.
4. quantities, all checked before anything is created: ``free_qty`` at the warehouse stock
   location, after locking its quants (``DRM_NO_STOCK``); issued - returned (``DRM_OVER_RETURN``).
Issue and return don't write the work order (its revision stays; the log row records it);
a request is a work-order action like the others (revision + 1).
"""
import hashlib
import json
import math

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, float_repr, float_round

from .drmoto_compat import MOVE_DESCRIPTION, is_storable
from .drmoto_work_order import _is_int, _is_number, _validation

REQUEST_STATES = ("checkin", "diagnosing", "quoted", "in_progress", "ready")
NO_ISSUE_STATES = ("draft", "closed", "cancelled")
PARTS_LINE_KEYS = frozenset({"product_id", "qty"})
KIND_ACTIONS = {"issue": "issue_parts", "return": "return_parts"}


def _digits(rounding):
    """0.01 -> 2, 1 -> 0"""
    return max(0, int(math.ceil(-math.log10(rounding) - 1e-9))) if 0 < rounding < 1 else 0


def _qty_text(qty, rounding):
    """A quantity for messages: the unit's precision, trailing zeros dropped (2.50 -> 2.5, 3.00 -> 3)."""
    if float_is_zero(qty, precision_rounding=rounding):
        return "0"
    text = float_repr(float_round(qty, precision_rounding=rounding), _digits(rounding))
    return text.rstrip("0").rstrip(".") if "." in text else text


def lines_hash(lines):
    """SHA-256 hex of ``[{"product_id": 3, "qty": "4.00"}, ...]`` (sorted by product id, the
    quantity as a string with the unit's precision), ``sort_keys=True, separators=(",", ":")``."""
    canonical = json.dumps(
        [{"product_id": line["product_id"], "qty": float_repr(line["qty"], _digits(line["rounding"]))}
         for line in sorted(lines, key=lambda line: line["product_id"])],
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _result_lines(lines):
    return [{"product_id": line["product_id"], "qty": line["qty"]} for line in lines]


def _describe(lines):
    return ", ".join("%s × %s" % (line["name"], _qty_text(line["qty"], line["rounding"])) for line in lines)


class DrmotoWorkOrderParts(models.Model):
    _inherit = "drmoto.work.order"

    picking_ids = fields.One2many("stock.picking", "drmoto_work_order_id", string="Transfers", readonly=True)
    picking_count = fields.Integer(compute="_compute_picking_count", compute_sudo=True, string="Transfer count")

    @api.depends("picking_ids")
    def _compute_picking_count(self):
        for wo in self:
            wo.picking_count = len(wo.picking_ids)

    # ------------------------------------------------------------------
    # lines
    # ------------------------------------------------------------------

    def _drmoto_parts_lines(self, lines):
        """``[{product_id, qty > 0}]`` -> storable products of the shop, duplicates summed,
        rounded to the product's unit, sorted by product id: ``[{product_id, qty, product,
        rounding, name}]``."""
        self.ensure_one()
        if not isinstance(lines, list) or not lines:
            raise _validation(_("lines must be a non-empty list of {product_id, qty}"))
        Product = self.env["product.product"].sudo()
        sums = {}
        for index, line in enumerate(lines, start=1):
            if not isinstance(line, dict):
                raise _validation(_("line %s must be an object", index))
            unknown = sorted(set(line) - PARTS_LINE_KEYS)
            if unknown:
                raise _validation(_("line %s: unknown fields %s", index, ", ".join(unknown)))
            product_id = line.get("product_id")
            if not _is_int(product_id):
                raise _validation(_("line %s: product_id must be a product id", index))
            product = Product.search([("id", "=", product_id), ("company_id", "in", [False, self.company_id.id])])
            if not product:
                raise _validation(_("line %s: product %s does not exist in this shop", index, product_id))
            if not is_storable(product):
                raise _validation(_("line %s: %s is not a storable product", index, product.display_name))
            if product.tracking != "none":
                raise _validation(
                    _("line %s: %s is tracked by lots or serial numbers; move it in Inventory", index,
                      product.display_name)
                )
            qty = line.get("qty")
            if not _is_number(qty) or isinstance(qty, float) and not math.isfinite(qty) or qty <= 0:
                raise _validation(_("line %s: qty must be a number > 0", index))
            entry = sums.setdefault(product.id, {"product": product, "qty": 0.0})
            entry["qty"] += qty
        result = []
        for product_id in sorted(sums):
            product = sums[product_id]["product"]
            rounding = product.uom_id.rounding or 0.01
            qty = float_round(sums[product_id]["qty"], precision_rounding=rounding)
            if float_compare(qty, 0.0, precision_rounding=rounding) <= 0:
                raise _validation(_("the quantity of %s rounds to 0", product.display_name))
            result.append({
                "product_id": product_id, "qty": qty, "product": product, "rounding": rounding,
                "name": product.display_name,
            })
        return result

    def _drmoto_ensure_part(self, product, source):
        """The part row of ``product`` (created empty, in the product's unit, when missing)."""
        self.ensure_one()
        Part = self.env["drmoto.work.order.part"].sudo()
        part = Part.search([("work_order_id", "=", self.id), ("product_id", "=", product.id)], limit=1)
        return part or Part.create({
            "work_order_id": self.id, "product_id": product.id, "uom_id": product.uom_id.id, "source": source,
        })

    def _drmoto_plan_parts(self, quote):
        """The planned quantities mirror the part lines of the confirmed version (summed per
        product). Rows of products no longer planned keep what was requested/issued
        (``qty_planned`` 0); a quote row with nothing else on it goes."""
        self.ensure_one()
        planned = {}
        for line in quote.line_ids.filtered(lambda l: l.kind == "part" and l.product_id):
            planned[line.product_id] = planned.get(line.product_id, 0.0) + line.qty
        parts = self.sudo().part_ids
        gone = parts.browse()
        for part in parts:
            if part.product_id in planned:
                part.write({"qty_planned": planned.pop(part.product_id), "quote_id": quote.id})
            elif part.quote_id:
                active = any(
                    not float_is_zero(qty, precision_rounding=part.uom_id.rounding or 0.01)
                    for qty in (part.qty_requested, part.qty_issued, part.qty_returned)
                )
                if part.source == "quote" and not active:
                    gone |= part
                else:
                    part.write({"qty_planned": 0.0, "quote_id": False})
        gone.unlink()
        self.env["drmoto.work.order.part"].sudo().create([
            {"work_order_id": self.id, "product_id": product.id, "uom_id": product.uom_id.id, "qty_planned": qty,
             "quote_id": quote.id, "source": "quote"}
            for product, qty in planned.items()
        ])

    def _drmoto_cancel_blockers(self):
        blockers = super()._drmoto_cancel_blockers()
        for part in self.sudo().part_ids:
            if float_compare(part.qty_net, 0.0, precision_rounding=part.uom_id.rounding or 0.01) > 0:
                blockers.append(("DRM_HAS_PARTS", _("return the issued parts first")))
                break
        return blockers

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------

    def action_request_parts(self, request_key=False, lines=False):
        """Add to ``qty_requested`` (part rows created as needed); checkin...ready;
        technician, advisor. ``{id, revision, replayed, parts: [{product_id, qty_requested}]}``."""
        wo, key, actor, replay = self._drmoto_prepare("request_parts", False, request_key, REQUEST_STATES)
        if replay is not None:
            replay.pop("log_id", None)
            return self._drmoto_ui(replay)
        norm = wo._drmoto_parts_lines(lines)
        env_wo = wo._drmoto_env(key)
        parts = []
        for line in norm:
            part = env_wo._drmoto_ensure_part(line["product"], "request")
            total = float_round(part.qty_requested + line["qty"], precision_rounding=line["rounding"])
            part.write({"qty_requested": total})
            parts.append({"product_id": line["product_id"], "qty_requested": total})
        result = {"id": wo.id, "revision": wo.revision + 1, "parts": parts}
        done = wo._drmoto_act(
            "request_parts", actor, key, event="parts_requested", note=_describe(norm), result=result,
        )
        done.pop("log_id", None)
        return self._drmoto_ui(done)

    def action_issue_parts(self, request_key=False, lines=False):
        """ONE picking warehouse stock -> the customer's location, validated (no backorder);
        keeper, manager. ``{id, picking_id, picking_name, state, replayed, lines}``."""
        return self._drmoto_move_parts("issue", request_key, lines)

    def action_return_parts(self, request_key=False, lines=False):
        """ONE picking the customer's location -> warehouse stock, validated; keeper, manager.
        Same result as ``action_issue_parts``."""
        return self._drmoto_move_parts("return", request_key, lines)

    def _drmoto_move_parts(self, kind, request_key, lines):
        action = KIND_ACTIONS[kind]
        wo = self._drmoto_action_record()
        key = self._drmoto_key(request_key)
        norm = wo._drmoto_parts_lines(lines)
        digest = lines_hash(norm)

        # 1. the key: a picking already posted with it, or another action that used it
        posted = self.env["stock.picking"].sudo().search(
            [("drmoto_work_order_id", "=", wo.id), ("drmoto_request_key", "=", key)], limit=1,
        )
        if posted:
            if posted.drmoto_kind != kind:
                raise UserError(
                    "DRM_DUP_KEY: " + _("request key %s was used for '%s' on work order %s, not for '%s'", key,
                                        KIND_ACTIONS.get(posted.drmoto_kind, posted.drmoto_kind), wo.name, action)
                )
            if posted.drmoto_lines_hash != digest:
                raise UserError(
                    "DRM_DUP_KEY: " + _("request key %s already posted picking %s on work order %s with different "
                                        "lines", key, posted.name, wo.name)
                )
            return self._drmoto_ui({
                "id": wo.id, "picking_id": posted.id, "picking_name": posted.name, "state": posted.state,
                "replayed": True, "lines": _result_lines(norm),
            })
        log = self.env["drmoto.wo.status.log"].sudo().search(
            [("work_order_id", "=", wo.id), ("request_key", "=", key)], limit=1,
        )
        if log:
            raise UserError(
                "DRM_DUP_KEY: " + _("request key %s was used for '%s' on work order %s, not for '%s'", key,
                                    log.action, wo.name, action)
            )

        # 2. actor
        actor = wo._drmoto_check_actor(action)

        # 3. state
        state = wo.state
        sudo_wo = wo.sudo()
        if state in NO_ISSUE_STATES:
            issued = any(
                float_compare(p.qty_net, 0.0, precision_rounding=p.uom_id.rounding or 0.01) > 0
                for p in sudo_wo.part_ids
            )
            if kind == "issue" or not issued:
                raise wo._drmoto_state_error(action)

        # 4. everything is checked before anything is created
        warehouse = sudo_wo.warehouse_id
        stock_location = warehouse.lot_stock_id
        customer_location = (
            sudo_wo.partner_id.with_company(wo.company_id).property_stock_customer
            or self.env.ref("stock.stock_location_customers")
        )
        out_type = warehouse.out_type_id
        picking_type = out_type if kind == "issue" else (out_type.return_picking_type_id or warehouse.in_type_id)
        if not picking_type or not stock_location:
            raise _validation(_("warehouse %s has no %s operation type", warehouse.name,
                                _("delivery") if kind == "issue" else _("receipt")))
        if kind == "issue":
            wo._drmoto_lock_quants(stock_location, [line["product_id"] for line in norm])
            for line in norm:
                available = line["product"].with_context(location=stock_location.id).free_qty
                if float_compare(available, line["qty"], precision_rounding=line["rounding"]) < 0:
                    raise UserError(
                        "DRM_NO_STOCK: " + _("not enough %s: available %s, requested %s", line["name"],
                                             _qty_text(available, line["rounding"]),
                                             _qty_text(line["qty"], line["rounding"]))
                    )
        else:
            net = {p.product_id.id: p.qty_net for p in sudo_wo.part_ids}
            for line in norm:
                open_qty = net.get(line["product_id"], 0.0)
                if float_compare(line["qty"], open_qty, precision_rounding=line["rounding"]) > 0:
                    raise UserError(
                        "DRM_OVER_RETURN: " + _("cannot return %s %s: %s issued and not returned",
                                                _qty_text(line["qty"], line["rounding"]), line["name"],
                                                _qty_text(max(open_qty, 0.0), line["rounding"]))
                    )

        # 5. one picking, validated; one status-log row; one audit row
        env_wo = wo._drmoto_env(key)
        for line in norm:
            env_wo._drmoto_ensure_part(line["product"], "request")
        source, dest = (stock_location, customer_location) if kind == "issue" else (customer_location, stock_location)
        picking = env_wo.env["stock.picking"].with_company(wo.company_id).create({
            "picking_type_id": picking_type.id,
            "location_id": source.id,
            "location_dest_id": dest.id,
            "partner_id": wo.partner_id.id,
            "origin": wo.name,
            "company_id": wo.company_id.id,
            "user_id": actor["uid"] if actor["kind"] == "staff" else False,
            "drmoto_work_order_id": wo.id,
            "drmoto_request_key": key,
            "drmoto_lines_hash": digest,
            "drmoto_kind": kind,
            "move_ids": [(0, 0, {
                MOVE_DESCRIPTION: line["name"],
                "product_id": line["product_id"],
                "product_uom_qty": line["qty"],
                "product_uom": line["product"].uom_id.id,
                "location_id": source.id,
                "location_dest_id": dest.id,
                "picking_type_id": picking_type.id,
                "company_id": wo.company_id.id,
                "partner_id": wo.partner_id.id,
                "origin": wo.name,
            }) for line in norm],
        })
        picking._drmoto_post(norm)
        result = {
            "id": wo.id, "picking_id": picking.id, "picking_name": picking.name, "state": picking.state,
            "lines": _result_lines(norm),
        }
        env_wo.env["drmoto.audit.log"]._drmoto_record(
            "stock_issue" if kind == "issue" else "stock_return", picking,
            after={"picking": picking.name, "lines": _result_lines(norm)}, work_order=wo,
        )
        wo._drmoto_log(
            action, "parts_issued" if kind == "issue" else "parts_returned", actor, key, state, state,
            "%s: %s" % (picking.name, _describe(norm)), result,
        )
        return self._drmoto_ui(dict(result, replayed=False))

    def _drmoto_lock_quants(self, location, product_ids):
        """``SELECT ... FOR UPDATE`` on the quants of the products under the source location, so
        two concurrent issues of the last units can't both pass the ``free_qty`` check: under
        REPEATABLE READ the second one gets a serialization failure, Odoo retries the call, and
        the retry sees the new stock."""
        location_ids = self.env["stock.location"].sudo().search([("id", "child_of", location.id)]).ids
        # a serialization failure here is expected under contention and retried by Odoo
        self.env.cr.execute(
            "SELECT id FROM stock_quant WHERE product_id IN %s AND location_id IN %s ORDER BY id FOR UPDATE",
            [tuple(product_ids), tuple(location_ids)], log_exceptions=False,
        )

    # ------------------------------------------------------------------
    # web UI
    # ------------------------------------------------------------------

    def action_drmoto_view_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("drmoto_workshop.drmoto_stock_picking_action")
        action["domain"] = [("drmoto_work_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_drmoto_parts_wizard(self):
        self.ensure_one()
        mode = self.env.context.get("drmoto_parts_mode") or "issue"
        return {
            "type": "ir.actions.act_window",
            "name": _("Issue parts") if mode == "issue" else _("Return parts"),
            "res_model": "drmoto.work.order.parts.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_work_order_id": self.id, "default_mode": mode},
        }


class StockPickingPost(models.Model):
    _inherit = "stock.picking"

    def _drmoto_post(self, lines):
        """Confirm, reserve, set every quantity and validate without backorder, in this call:
        the picking ends ``done`` or the transaction fails."""
        self.ensure_one()
        self.action_confirm()
        self.action_assign()
        wanted = {line["product_id"]: line["qty"] for line in lines}
        for move in self.move_ids:
            qty = wanted[move.product_id.id]
            if float_compare(move.quantity, qty, precision_rounding=move.product_uom.rounding) != 0:
                move.quantity = qty
        self.move_ids.picked = True
        # no pre-validation wizard: no backorder (every quantity is set), no delivery SMS
        # confirmation (stock_sms, also skips the SMS to the customer), no expired-lots warning
        # (product_expiry); a wizard of another module would leave the picking undone -> raise
        outcome = self.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=self.ids, cancel_backorder=True,
            skip_sms=True, skip_expired=True,
        ).button_validate()
        if self.state != "done":
            wizard = outcome.get("res_model") if isinstance(outcome, dict) else False
            raise UserError(
                "DRM_VALIDATION: " + _("transfer %s could not be validated (state '%s'%s)", self.name, self.state,
                                       ", %s asked for confirmation" % wizard if wizard else "")
            )
