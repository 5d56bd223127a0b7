import path from 'node:path';
import { checkAddon, readAddon } from './odoo-addon-check';
import { buildFor17, viewFor17 } from './odoo-addon-17';

const ADDON = path.join(__dirname, '..', 'odoo-addons', 'drmoto_workshop');

describe('odoo-addon-17', () => {
  it("turns drmoto_workshop into markup that passes Odoo 17's rules", () => {
    const source = readAddon(ADDON);
    // the source itself is not 17 markup (else the build would prove nothing)
    expect(checkAddon(source, [17]).length).toBeGreaterThan(0);
    expect(checkAddon(buildFor17(source), [17]).map((v) => `${v.file}:${v.line} [${v.rule}]`)).toEqual([]);
  });

  it('rewrites list views, view modes, the chatter and the kanban card template', () => {
    const xml = [
      '<list string="X" create="0"><field name="a"/></list>',
      '<field name="view_mode">kanban,list,form</field>',
      "Command.create({'view_mode': 'list', 'view_id': ref('v')})",
      '        <chatter/>',
      '<t t-name="card"><div/></t>',
    ].join('\n');
    expect(viewFor17(xml).split('\n')).toEqual([
      '<tree string="X" create="0"><field name="a"/></tree>',
      '<field name="view_mode">kanban,tree,form</field>',
      "Command.create({'view_mode': 'tree', 'view_id': ref('v')})",
      '        <div class="oe_chatter">',
      '            <field name="message_follower_ids"/>',
      '            <field name="activity_ids"/>',
      '            <field name="message_ids"/>',
      '        </div>',
      '<t t-name="kanban-box"><div/></t>',
    ]);
  });

  it('leaves field names and Python alone', () => {
    expect(viewFor17('<field name="listing_ids"/><field name="card_no"/>')).toBe('<field name="listing_ids"/><field name="card_no"/>');
    const py = { path: 'models/m.py', text: 'x = "<list>"\n' };
    expect(buildFor17([py])).toEqual([py]);
  });
});
