/**
 * The Odoo 17 build of an addon (README "Odoo versions"): the source tree is written for 18+, and 17 differs only in
 * view markup that a data file can't choose per series — `<list>` was `<tree>`, `<chatter/>` was the `oe_chatter`
 * div, the kanban `card` template was `kanban-box`. The Python side picks its names at import (drmoto_compat).
 *
 *   npx tsx scripts/odoo-addon-17.ts [addon dir] <out dir>   (out dir: a fresh addons folder for Odoo 17's addons_path)
 *
 * The result passes `odoo-addon-check --series 17` (scripts/odoo-addon-17.test.ts).
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readAddon, type AddonFile } from './odoo-addon-check';

const CHATTER_17 = (indent: string) =>
  `<div class="oe_chatter">\n${indent}    <field name="message_follower_ids"/>\n${indent}    <field name="activity_ids"/>\n${indent}    <field name="message_ids"/>\n${indent}</div>`;

/** One view file in 17's markup. */
export function viewFor17(xml: string): string {
  return xml
    .replace(/<list(?=[\s>/])/g, '<tree')
    .replace(/<\/list>/g, '</tree>')
    .replace(/(<field name="view_mode">[^<]*)/g, (m) => m.replace(/\blist\b/g, 'tree'))
    .replace(/'view_mode':\s*'list'/g, "'view_mode': 'tree'")
    .replace(/^([ \t]*)<chatter\s*\/>/gm, (_m, indent: string) => indent + CHATTER_17(indent))
    .replace(/t-name="card"/g, 't-name="kanban-box"');
}

/** The addon's files as Odoo 17 reads them (only .xml files change). */
export function buildFor17(files: readonly AddonFile[]): AddonFile[] {
  return files.map((f) => (f.path.endsWith('.xml') ? { ...f, text: viewFor17(f.text) } : f));
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args.pop();
  if (!out) {
    console.error('usage: odoo-addon-17.ts [addon dir] <out dir>');
    process.exit(2);
  }
  const src = args[0] ?? path.join(__dirname, '..', 'odoo-addons', 'drmoto_workshop');
  const dest = path.join(out, path.basename(src));
  mkdirSync(out, { recursive: true });
  cpSync(src, dest, { recursive: true, filter: (p) => !p.includes('__pycache__') });
  for (const f of buildFor17(readAddon(src))) {
    if (f.path.endsWith('.xml')) writeFileSync(path.join(dest, f.path), f.text);
  }
  console.log(`odoo-addon-17: ${dest} (${readFileSync(path.join(dest, '__manifest__.py'), 'utf8').match(/"version":\s*"([^"]+)"/)?.[1]})`);
}
