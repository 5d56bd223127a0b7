/**
 * XML-RPC codec shaped after Python's `xmlrpc.client` (what Odoo's `/xmlrpc/2/*` endpoints use), so that
 * the gateway and the Odoo mock read and write exactly what a real Odoo reads and writes.
 *
 * JS ↔ XML-RPC:
 *   number (safe integer in i4 range) ↔ <int>   · other finite numbers and XmlRpcDouble ↔ <double>
 *   boolean ↔ <boolean> · string ↔ <string> (a bare <value>text</value> decodes as a string too)
 *   array ↔ <array> · plain object ↔ <struct> · Date ↔ <dateTime.iso8601> · Buffer/Uint8Array ↔ <base64>
 *   null/undefined → <nil/> only with `allowNone` (Python raises without it, and so do we)
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type XmlRpcValue =
  | number
  | boolean
  | string
  | null
  | Date
  | Buffer
  | XmlRpcDouble
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

/** Forces `<double>` for a number that happens to be integral (Python floats such as `25.0`). */
export class XmlRpcDouble {
  constructor(readonly value: number) {}
}

/** Raised by the encoder where Python's marshaller raises; `pyType` is the Python exception class. */
export class XmlRpcMarshalError extends Error {
  constructor(
    readonly pyType: 'TypeError' | 'OverflowError',
    message: string,
  ) {
    super(message);
    this.name = 'XmlRpcMarshalError';
  }
}

/** Raised by the decoders on malformed XML or an XML-RPC document they can't understand. */
export class XmlRpcParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlRpcParseError';
  }
}

export type MethodResponse =
  | { ok: true; value: XmlRpcValue }
  | { ok: false; faultCode: number | string; faultString: string };

export interface EncodeOptions {
  /** Python's `allow_none`: Odoo answers with allow_none=False, so `null` is an error by default. */
  allowNone?: boolean;
}

const MAXINT = 2 ** 31 - 1;
const MININT = -(2 ** 31);
// XML 1.0 disallows these; Odoo's marshaller strips them rather than break clients (rpc.py CONTROL_CHARACTERS).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

function escapeXml(s: string): string {
  // Python's xmlrpc escape() replaces only these three.
  return s.replace(CONTROL_CHARACTERS, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const s = String(n);
  if (/e/.test(s)) {
    // Python writes 1e+21 as 1e+21 and 1e-07 with two exponent digits.
    return s.replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return Number.isInteger(n) ? `${s}.0` : s;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function encodeValue(v: XmlRpcValue | undefined, out: string[], opts: EncodeOptions, seen: Set<object>): void {
  if (v === null || v === undefined) {
    if (!opts.allowNone) throw new XmlRpcMarshalError('TypeError', 'cannot marshal None unless allow_none is enabled');
    out.push('<value><nil/></value>');
    return;
  }
  if (typeof v === 'boolean') {
    out.push(`<value><boolean>${v ? 1 : 0}</boolean></value>`);
    return;
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) {
      if (v > MAXINT || v < MININT) throw new XmlRpcMarshalError('OverflowError', 'int exceeds XML-RPC limits');
      out.push(`<value><int>${v}</int></value>`);
    } else {
      out.push(`<value><double>${pyFloatRepr(v)}</double></value>`);
    }
    return;
  }
  if (typeof v === 'string') {
    out.push(`<value><string>${escapeXml(v)}</string></value>`);
    return;
  }
  if (v instanceof XmlRpcDouble) {
    out.push(`<value><double>${pyFloatRepr(v.value)}</double></value>`);
    return;
  }
  if (v instanceof Date) {
    const s = `${pad(v.getUTCFullYear(), 4)}${pad(v.getUTCMonth() + 1)}${pad(v.getUTCDate())}T${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
    out.push(`<value><dateTime.iso8601>${s}</dateTime.iso8601></value>`);
    return;
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    out.push(`<value><base64>\n${Buffer.from(v).toString('base64')}\n</base64></value>`);
    return;
  }
  if (seen.has(v)) throw new XmlRpcMarshalError('TypeError', 'cannot marshal recursive sequences');
  seen.add(v);
  if (Array.isArray(v)) {
    out.push('<value><array><data>\n');
    for (const item of v) {
      encodeValue(item, out, opts, seen);
      out.push('\n');
    }
    out.push('</data></array></value>');
  } else {
    out.push('<value><struct>\n');
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined && !opts.allowNone) {
        throw new XmlRpcMarshalError('TypeError', 'cannot marshal None unless allow_none is enabled');
      }
      out.push(`<member>\n<name>${escapeXml(k)}</name>\n`);
      encodeValue(item, out, opts, seen);
      out.push('\n</member>\n');
    }
    out.push('</struct></value>');
  }
  seen.delete(v);
}

function encodeParams(params: readonly XmlRpcValue[], opts: EncodeOptions): string {
  const out: string[] = ['<params>\n'];
  for (const p of params) {
    out.push('<param>\n');
    encodeValue(p, out, opts, new Set());
    out.push('\n</param>\n');
  }
  out.push('</params>\n');
  return out.join('');
}

const HEADER = "<?xml version='1.0'?>\n";

export function encodeMethodCall(method: string, params: readonly XmlRpcValue[], opts: EncodeOptions = {}): string {
  return `${HEADER}<methodCall>\n<methodName>${escapeXml(method)}</methodName>\n${encodeParams(params, opts)}</methodCall>\n`;
}

/** Throws XmlRpcMarshalError where Python would (None without allow_none, ints beyond i4). */
export function encodeMethodResponse(value: XmlRpcValue | undefined, opts: EncodeOptions = {}): string {
  return `${HEADER}<methodResponse>\n${encodeParams([value as XmlRpcValue], opts)}</methodResponse>\n`;
}

export function encodeFault(faultCode: number | string, faultString: string): string {
  const out: string[] = [];
  encodeValue({ faultCode, faultString }, out, {}, new Set());
  return `${HEADER}<methodResponse>\n<fault>\n${out.join('')}\n</fault>\n</methodResponse>\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// decoding

type Node = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
  ignoreAttributes: true,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
});

function tagOf(node: Node): string | undefined {
  return Object.keys(node).find((k) => k !== ':@');
}

function childrenOf(node: Node, tag: string): Node[] {
  const c = node[tag];
  return Array.isArray(c) ? (c as Node[]) : [];
}

/** Elements only (whitespace text between elements dropped). */
function elements(nodes: Node[]): Node[] {
  return nodes.filter((n) => {
    const t = tagOf(n);
    return t !== undefined && t !== '#text' && t !== '#cdata';
  });
}

function textOf(nodes: Node[]): string {
  let s = '';
  for (const n of nodes) {
    if (typeof n['#text'] === 'string') s += n['#text'];
    else if (Array.isArray(n['#cdata'])) s += textOf(n['#cdata'] as Node[]);
  }
  return s;
}

function only(nodes: Node[], what: string): Node {
  const els = elements(nodes);
  if (els.length !== 1 || !els[0]) throw new XmlRpcParseError(`expected exactly one element in ${what}`);
  return els[0];
}

function decodeValue(valueNode: Node): XmlRpcValue {
  const inner = childrenOf(valueNode, 'value');
  const els = elements(inner);
  if (els.length === 0) return textOf(inner); // bare <value>text</value> is a string
  const el = only(inner, '<value>');
  const tag = tagOf(el) ?? '';
  const kids = childrenOf(el, tag);
  const text = (): string => textOf(kids);
  switch (tag) {
    case 'int':
    case 'i4':
    case 'i8':
    case 'ex:i8':
    case 'i1':
    case 'i2':
    case 'ex:i1':
    case 'ex:i2':
    case 'ex:i4':
    case 'biginteger':
    case 'ex:biginteger': {
      const t = text().trim();
      if (!/^[+-]?\d+$/.test(t)) throw new XmlRpcParseError(`invalid literal for int() with base 10: '${t}'`);
      return Number(t);
    }
    case 'double':
    case 'float':
    case 'ex:float':
    case 'ex:double': {
      const t = text().trim();
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw new XmlRpcParseError(`could not convert string to float: '${t}'`);
      return n;
    }
    case 'boolean': {
      const t = text().trim();
      if (t === '0') return false;
      if (t === '1') return true;
      throw new XmlRpcParseError('bad boolean value');
    }
    case 'string':
      return text();
    case 'nil':
    case 'ex:nil':
      return null;
    case 'dateTime.iso8601': {
      const t = text().trim();
      const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})/.exec(t);
      if (!m) throw new XmlRpcParseError(`bad dateTime.iso8601 value '${t}'`);
      return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
    }
    case 'base64':
      return Buffer.from(text().replace(/\s+/g, ''), 'base64');
    case 'array': {
      const data = only(kids, '<array>');
      if (tagOf(data) !== 'data') throw new XmlRpcParseError('<array> without <data>');
      return elements(childrenOf(data, 'data')).map((v) => {
        if (tagOf(v) !== 'value') throw new XmlRpcParseError('unexpected element in <data>');
        return decodeValue(v);
      });
    }
    case 'struct': {
      const obj: { [key: string]: XmlRpcValue } = {};
      for (const member of elements(kids)) {
        if (tagOf(member) !== 'member') throw new XmlRpcParseError('unexpected element in <struct>');
        const parts = elements(childrenOf(member, 'member'));
        const nameNode = parts.find((p) => tagOf(p) === 'name');
        const valNode = parts.find((p) => tagOf(p) === 'value');
        if (!nameNode || !valNode) throw new XmlRpcParseError('<member> needs <name> and <value>');
        obj[textOf(childrenOf(nameNode, 'name'))] = decodeValue(valNode);
      }
      return obj;
    }
    default:
      throw new XmlRpcParseError(`unknown XML-RPC tag '${tag}'`);
  }
}

function parseDocument(xml: string | Buffer, root: string): Node {
  const text = Buffer.isBuffer(xml) ? xml.toString('utf8') : xml;
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new XmlRpcParseError(`${valid.err.msg}: line ${valid.err.line}, column ${valid.err.col}`);
  }
  const doc = elements(parser.parse(text) as Node[]);
  const top = doc.find((n) => tagOf(n) === root);
  if (!top) throw new XmlRpcParseError(`expected <${root}> document`);
  return top;
}

function decodeParams(paramsNode: Node | undefined): XmlRpcValue[] {
  if (!paramsNode) return [];
  return elements(childrenOf(paramsNode, 'params')).map((param) => {
    if (tagOf(param) !== 'param') throw new XmlRpcParseError('unexpected element in <params>');
    const v = only(childrenOf(param, 'param'), '<param>');
    if (tagOf(v) !== 'value') throw new XmlRpcParseError('<param> without <value>');
    return decodeValue(v);
  });
}

export function decodeMethodCall(xml: string | Buffer): { method: string; params: XmlRpcValue[] } {
  const top = parseDocument(xml, 'methodCall');
  const parts = elements(childrenOf(top, 'methodCall'));
  const nameNode = parts.find((p) => tagOf(p) === 'methodName');
  if (!nameNode) throw new XmlRpcParseError('<methodCall> without <methodName>');
  return {
    method: textOf(childrenOf(nameNode, 'methodName')).trim(),
    params: decodeParams(parts.find((p) => tagOf(p) === 'params')),
  };
}

export function decodeMethodResponse(xml: string | Buffer): MethodResponse {
  const top = parseDocument(xml, 'methodResponse');
  const parts = elements(childrenOf(top, 'methodResponse'));
  const fault = parts.find((p) => tagOf(p) === 'fault');
  if (fault) {
    const v = only(childrenOf(fault, 'fault'), '<fault>');
    const s = decodeValue(v);
    if (s === null || typeof s !== 'object' || Array.isArray(s) || s instanceof Date || Buffer.isBuffer(s)) {
      throw new XmlRpcParseError('<fault> is not a struct');
    }
    const rec = s as { [key: string]: XmlRpcValue };
    const code = rec.faultCode;
    const str = rec.faultString;
    return {
      ok: false,
      faultCode: typeof code === 'number' || typeof code === 'string' ? code : 0,
      faultString: typeof str === 'string' ? str : String(str),
    };
  }
  const params = decodeParams(parts.find((p) => tagOf(p) === 'params'));
  if (params.length !== 1) throw new XmlRpcParseError(`expected one response param, got ${params.length}`);
  return { ok: true, value: params[0] as XmlRpcValue };
}
