/**
 * Odoo 17 domains evaluated in memory with PostgreSQL's three-valued logic, following
 * odoo/osv/expression.py: normalize_domain (implicit '&'), _anyfy_leaves (dotted paths → 'any'),
 * _tree_not (negations pushed into the leaves: '!' (x < 5) is x >= 5, NULLs excluded on both sides),
 * normalize_leaf, and __leaf_to_sql's NULL handling ("x != 'a'" also matches NULL, "ilike ''" matches all…).
 */
import { PyError, pyRepr, valueError } from '../errors';
import type { Model } from './orm';
import { compareRaw, likeToRegExp, pyText, sqlText } from './values';
import type { FieldDef, Raw, Row } from './types';

type Tri = boolean | null;
export type Pred = (row: Row) => Tri;

const TERM_OPERATORS = ['=', '!=', '<=', '<', '>', '>=', '=?', '=like', '=ilike', 'like', 'not like', 'ilike', 'not ilike', 'in', 'not in', 'child_of', 'parent_of', 'any', 'not any'];
const NEGATIVE = ['!=', 'not like', 'not ilike', 'not in'];
const NEGATION: Record<string, string> = {
  '<': '>=', '>': '<=', '<=': '>', '>=': '<', '=': '!=', '!=': '=', in: 'not in', like: 'not like', ilike: 'not ilike',
  'not in': 'in', 'not like': 'like', 'not ilike': 'ilike', any: 'not any', 'not any': 'any',
};

type Tree =
  | { k: 'bool'; v: boolean }
  | { k: 'not'; t: Tree }
  | { k: 'and' | 'or'; c: Tree[] }
  | { k: 'leaf'; left: string; op: string; right: unknown }
  | { k: 'any' | 'not any'; left: string; sub: Tree };

const isOperator = (t: unknown): t is '&' | '|' | '!' => t === '&' || t === '|' || t === '!';
const isTrueLeaf = (t: unknown[]): boolean => t.length === 3 && t[0] === 1 && t[1] === '=' && t[2] === 1;
const isFalseLeaf = (t: unknown[]): boolean => t.length === 3 && t[0] === 0 && t[1] === '=' && t[2] === 1;

/** Python repr of a domain as Odoo prints it in messages (leaves were lists on the wire). */
function reprDomain(domain: unknown): string {
  return pyRepr(domain);
}

/** normalize_domain: explicit '&', syntax check. */
export function normalizeDomain(domain: unknown): unknown[] {
  if (!Array.isArray(domain)) {
    throw new PyError('AssertionError', "Domains to normalize must have a 'domain' form: a list or tuple of domain components");
  }
  if (domain.length === 0) return [[1, '=', 1]];
  const result: unknown[] = [];
  let expected = 1;
  for (const token of domain) {
    if (expected === 0) {
      result.unshift('&');
      expected = 1;
    }
    if (Array.isArray(token)) {
      expected -= 1;
      result.push(token.length === 3 && (token[1] === 'any' || token[1] === 'not any') ? [token[0], token[1], normalizeDomain(token[2])] : [...token]);
    } else {
      expected += (token === '!' ? 1 : token === '&' || token === '|' ? 2 : 0) - 1;
      result.push(token);
    }
  }
  if (expected !== 0) throw valueError(`Domain ${reprDomain(domain)} is syntactically not correct.`);
  return result;
}

function normalizeLeaf(left: unknown, op: unknown, right: unknown): [unknown, string, unknown] {
  let o = typeof op === 'string' ? op.toLowerCase() : String(op);
  if (o === '<>') o = '!=';
  if (typeof right === 'boolean' && (o === 'in' || o === 'not in')) o = o === 'in' ? '=' : '!=';
  if (Array.isArray(right) && (o === '=' || o === '!=')) o = o === '=' ? 'in' : 'not in';
  return [left, o, right];
}

function notTree(t: Tree): Tree {
  switch (t.k) {
    case 'bool':
      return { k: 'bool', v: !t.v };
    case 'not':
      return t.t;
    case 'and':
      return { k: 'or', c: t.c.map(notTree) };
    case 'or':
      return { k: 'and', c: t.c.map(notTree) };
    case 'any':
      return { k: 'not any', left: t.left, sub: t.sub };
    case 'not any':
      return { k: 'any', left: t.left, sub: t.sub };
    case 'leaf': {
      const neg = NEGATION[t.op];
      return neg ? { k: 'leaf', left: t.left, op: neg, right: t.right } : { k: 'not', t };
    }
  }
}

/** Domain → tree, with field checks and dotted paths made into 'any' on the comodel. */
function toTree(model: Model, domain: unknown[]): Tree {
  const stack: Tree[] = [];
  const norm = normalizeDomain(domain);
  for (let i = norm.length - 1; i >= 0; i--) {
    const item = norm[i];
    if (isOperator(item)) {
      if (item === '!') stack.push(notTree(stack.pop()!));
      else {
        const a = stack.pop()!;
        const b = stack.pop()!;
        stack.push({ k: item === '&' ? 'and' : 'or', c: [a, b] });
      }
      continue;
    }
    if (!Array.isArray(item)) throw valueError(`Invalid leaf ${pyRepr(item)}`);
    if (item.length !== 3) {
      throw valueError(item.length < 3 ? `not enough values to unpack (expected 3, got ${item.length})` : `too many values to unpack (expected 3)`);
    }
    if (isTrueLeaf(item) || isFalseLeaf(item)) {
      stack.push({ k: 'bool', v: isTrueLeaf(item) });
      continue;
    }
    const [left, rawOp, right] = item as [unknown, unknown, unknown];
    if (typeof left !== 'string' || left === '') throw valueError(`Invalid leaf ${pyRepr(item, true)}`);
    const path = left.split('.');
    const fname = path[0]!;
    const field = model.def.fields[fname];
    if (!field) throw valueError(`Invalid field ${model.name}.${fname} in leaf ${pyRepr(item, true)}`);
    const isRel = field.type === 'many2one' || field.type === 'one2many' || field.type === 'many2many';
    if (path.length > 1 && isRel) {
      const comodel = model.env.model(field.relation!);
      stack.push({ k: 'any', left: fname, sub: toTree(comodel, [[path.slice(1).join('.'), rawOp, right]]) });
      continue;
    }
    const [, op, r] = normalizeLeaf(left, rawOp, right);
    if (op === 'any' || op === 'not any') {
      if (!isRel) throw valueError(`Invalid leaf ${pyRepr(item, true)}`);
      stack.push({ k: op, left: fname, sub: toTree(model.env.model(field.relation!), Array.isArray(r) ? r : []) });
      continue;
    }
    if (!TERM_OPERATORS.includes(op)) throw valueError(`Invalid leaf ${pyRepr([left, op, r], true)}`);
    stack.push({ k: 'leaf', left, op, right: r });
  }
  return stack.length === 1 ? stack[0]! : { k: 'and', c: stack.reverse() };
}

const and3 = (a: Tri, b: Tri): Tri => (a === false || b === false ? false : a === null || b === null ? null : true);
const or3 = (a: Tri, b: Tri): Tri => (a === true || b === true ? true : a === null || b === null ? null : false);

/** Python truthiness */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== false && v !== null && v !== undefined && v !== 0 && v !== '';
}

export function compileDomain(model: Model, domain: unknown[]): Pred {
  return compileTree(model, toTree(model, domain));
}

/** Which ids of `model` (all rows, active or not) match, ignoring access rules: used for ir.rule checks. */
export function filterRows(model: Model, rows: Row[], domain: unknown[]): Row[] {
  const pred = compileDomain(model, domain);
  return rows.filter((r) => pred(r) === true);
}

function compileTree(model: Model, t: Tree): Pred {
  switch (t.k) {
    case 'bool':
      return () => t.v;
    case 'not': {
      const p = compileTree(model, t.t);
      return (r) => {
        const v = p(r);
        return v === null ? null : !v;
      };
    }
    case 'and': {
      const ps = t.c.map((c) => compileTree(model, c));
      return (r) => ps.reduce<Tri>((acc, p) => (acc === false ? false : and3(acc, p(r))), true);
    }
    case 'or': {
      const ps = t.c.map((c) => compileTree(model, c));
      return (r) => ps.reduce<Tri>((acc, p) => (acc === true ? true : or3(acc, p(r))), false);
    }
    case 'any':
    case 'not any':
      return compileAny(model, t.left, t.k, t.sub);
    case 'leaf':
      return compileLeaf(model, t.left, t.op, t.right);
  }
}

function treeToDomain(t: Tree): unknown[] {
  switch (t.k) {
    case 'bool':
      return [t.v ? [1, '=', 1] : [0, '=', 1]];
    case 'not':
      return ['!', ...treeToDomain(t.t)];
    case 'and':
    case 'or': {
      const op = t.k === 'and' ? '&' : '|';
      return [...Array<string>(t.c.length - 1).fill(op), ...t.c.flatMap(treeToDomain)];
    }
    case 'any':
    case 'not any':
      return [[t.left, t.k, treeToDomain(t.sub)]];
    case 'leaf':
      return [[t.left, t.op, t.right]];
  }
}

function compileAny(model: Model, fname: string, op: 'any' | 'not any', sub: Tree): Pred {
  const field = model.def.fields[fname]!;
  const comodel = model.env.model(field.relation!);
  if (field.type === 'many2one') {
    // expression.py: comodel.with_context(active_test=False)._search(right)
    const ids = new Set(comodel.withContext({ active_test: false })._search(treeToDomain(sub)));
    if (op === 'any') return (r) => (r[fname] === null ? null : ids.has(r[fname] as number));
    return (r) => r[fname] === null || !ids.has(r[fname] as number);
  }
  const ids = comodel._search(treeToDomain(sub));
  return compileX2many(model, fname, field, op === 'any' ? 'in' : 'not in', ids);
}

function nameSearchIds(model: Model, comodelName: string, right: unknown, operator: string, activeTest: boolean): number[] {
  const comodel = activeTest ? model.env.model(comodelName) : model.env.model(comodelName).withContext({ active_test: false });
  if (Array.isArray(right)) {
    // _name_search with a list: each name with the operator, OR-ed (Odoo passes the list through to the leaf)
    const all = new Set<number>();
    for (const name of right) for (const id of comodel._nameSearchIds(String(name), [], operator === 'not in' ? 'in' : operator === 'in' ? 'in' : operator)) all.add(id);
    return [...all];
  }
  return comodel._nameSearchIds(String(right), [], operator);
}

function compileX2many(model: Model, fname: string, field: FieldDef, op: string, right: unknown): Pred {
  const negative = NEGATIVE.includes(op);
  const comodelName = field.relation!;
  const related = (r: Row): number[] => model.x2manyIds(r, fname);
  if (right === false || right === null) {
    // records with / without lines
    return negative ? (r) => related(r).length > 0 : (r) => related(r).length === 0;
  }
  let ids2: number[];
  if (typeof right === 'string') {
    const op2 = negative ? NEGATION[op]! : op;
    ids2 = model.env.model(comodelName)._nameSearchIds(right, [], op2);
  } else if (Array.isArray(right)) ids2 = right.filter((x): x is number => typeof x === 'number' && x !== 0);
  else ids2 = [right as number];
  const set = new Set(ids2);
  return (r) => {
    const hit = related(r).some((id) => set.has(id));
    return negative ? !hit : hit;
  };
}

function hierarchyIds(model: Model, comodelName: string, right: unknown, op: 'child_of' | 'parent_of'): number[] {
  const comodel = model.env.model(comodelName).sudo().withContext({ active_test: false });
  let ids: number[];
  if (typeof right === 'string' || (Array.isArray(right) && right.length > 0 && right.every((x) => typeof x === 'string'))) {
    const names = typeof right === 'string' ? [right] : (right as string[]);
    ids = [...new Set(names.flatMap((n) => model.env.model(comodelName)._nameSearchIds(n, [], 'ilike')))];
  } else if (typeof right === 'number') ids = right ? [right] : [];
  else if (Array.isArray(right)) ids = right.filter((x): x is number => typeof x === 'number' && x !== 0);
  else ids = [];
  const parentName = comodel.def.parentName ?? 'parent_id';
  const parentField = comodel.def.fields[parentName];
  if (!parentField || parentField.relation !== comodel.name) {
    throw valueError(`Invalid parent field: ${comodel.name}.${parentName}`);
  }
  const all = comodel.allRows();
  const result = new Set<number>(ids);
  if (op === 'child_of') {
    let frontier = ids;
    while (frontier.length) {
      const next = all.filter((r) => frontier.includes(r[parentName] as number) && !result.has(r.id)).map((r) => r.id);
      next.forEach((id) => result.add(id));
      frontier = next;
    }
  } else {
    let frontier = ids;
    while (frontier.length) {
      const next = all
        .filter((r) => frontier.includes(r.id))
        .map((r) => r[parentName] as number | null)
        .filter((p): p is number => p !== null && !result.has(p));
      next.forEach((id) => result.add(id));
      frontier = next;
    }
  }
  return [...result];
}

function compileLeaf(model: Model, left: string, op: string, right: unknown): Pred {
  const field = model.def.fields[left]!;
  const comodelName = field.relation;

  if (left === 'id' && (op === 'child_of' || op === 'parent_of')) {
    const ids = new Set(hierarchyIds(model, model.name, right, op));
    return (r) => ids.has(r.id);
  }
  if (field.type !== 'many2one' && field.type !== 'one2many' && field.type !== 'many2many' && (op === 'child_of' || op === 'parent_of')) {
    throw valueError(`Invalid leaf ${pyRepr([left, op, right], true)}`);
  }

  if (field.store === false) {
    if (left === 'display_name') return compileDomain(model, displayNameDomain(model, op, right));
    // expression.py: non-stored field without search: logged and ignored (a TRUE leaf)
    return () => true;
  }

  if (field.type === 'one2many' || field.type === 'many2many') {
    if (op === 'child_of' || op === 'parent_of') {
      const ids = hierarchyIds(model, comodelName!, right, op);
      return compileX2many(model, left, field, 'in', ids);
    }
    return compileX2many(model, left, field, op, right);
  }

  if (field.type === 'many2one') {
    if (op === 'child_of' || op === 'parent_of') {
      const ids = new Set(hierarchyIds(model, comodelName!, right, op));
      return (r) => (r[left] === null ? null : ids.has(r[left] as number));
    }
    const isStrList = Array.isArray(right) && right.length > 0 && right.every((x) => typeof x === 'string');
    if (typeof right === 'string' || isStrList) {
      let o = ['<', '>', '<=', '>='].includes(op) ? 'in' : op;
      const dictOp: Record<string, string> = { 'not in': '!=', in: '=', '=': 'in', '!=': 'not in' };
      if (!Array.isArray(right) && (o === 'in' || o === 'not in')) o = dictOp[o]!;
      else if (Array.isArray(right) && (o === '=' || o === '!=')) o = dictOp[o]!;
      const ids = new Set(nameSearchIds(model, comodelName!, right, o, false));
      if (NEGATIVE.includes(o)) return (r) => r[left] === null || ids.has(r[left] as number);
      return (r) => (r[left] === null ? null : ids.has(r[left] as number));
    }
  }

  let effOp = op;
  let effRight = right;
  if (field.type === 'datetime' && typeof right === 'string' && right.length === 10 && truthy(right)) {
    effRight = `${right}${op === '>' || op === '<=' ? ' 23:59:59' : ' 00:00:00'}`;
  }
  if (effOp === '=?') {
    if (effRight === false || effRight === null) return () => true;
    effOp = '=';
  }
  return leafToPred(model, field, left, effOp, effRight);
}

function convertParam(field: FieldDef, p: unknown): Raw {
  switch (field.type) {
    case 'integer':
    case 'many2one':
    case 'float':
    case 'monetary':
      return typeof p === 'number' ? p : typeof p === 'boolean' ? Number(p) : Number(p);
    case 'boolean':
      return Boolean(p);
    default:
      return typeof p === 'string' ? p : pyText(p);
  }
}

function eqRaw(v: Raw, p: Raw): boolean {
  return compareRaw(v, p) === 0;
}

/** __leaf_to_sql */
function leafToPred(model: Model, field: FieldDef, left: string, op: string, right: unknown): Pred {
  const col = (r: Row): Raw => (r[left] === undefined ? null : r[left]!);
  if (op === 'in' || op === 'not in') {
    if (typeof right === 'boolean') {
      const notNull = (op === 'in' && right) || (op === 'not in' && !right);
      return (r) => (notNull ? col(r) !== null : col(r) === null);
    }
    if (!Array.isArray(right)) throw valueError(`Invalid domain term ${pyRepr([left, op, right], true)}`);
    let params: Raw[];
    let checkNull: boolean;
    if (field.type === 'boolean') {
      params = [true, false].filter((b) => right.includes(b));
      checkNull = right.includes(false);
    } else {
      params = right.filter((x) => x !== false && x !== null).map((x) => (left === 'id' ? (x as Raw) : convertParam(field, x)));
      checkNull = params.length < right.length;
    }
    return (r) => {
      const v = col(r);
      let res: Tri;
      if (params.length) {
        if (v === null) res = null;
        else {
          const hit = params.some((p) => eqRaw(v, p));
          res = op === 'in' ? hit : !hit;
        }
      } else res = op !== 'in';
      if ((op === 'in' && checkNull) || (op === 'not in' && !checkNull)) return or3(res, v === null);
      if (op === 'not in' && checkNull) return and3(res, v !== null);
      return res;
    };
  }
  if (field.type === 'boolean' && (op === '=' || op === '!=') && typeof right === 'boolean') {
    const value = op === '!=' ? !right : right;
    return value ? (r) => col(r) === true : (r) => col(r) === null || col(r) === false;
  }
  if (op === '=' && (right === false || right === null)) return (r) => col(r) === null;
  if (op === '!=' && (right === false || right === null)) return (r) => col(r) !== null;

  const needWildcard = op === 'like' || op === 'ilike' || op === 'not like' || op === 'not ilike';
  const orNull = (needWildcard && !truthy(right)) || (truthy(right) && NEGATIVE.includes(op));
  let test: (v: Raw) => boolean;
  if (op.endsWith('like')) {
    const pattern = needWildcard ? `%${pyText(right)}%` : pyText(right);
    const re = likeToRegExp(pattern, op.endsWith('ilike'));
    const negated = op.startsWith('not ');
    test = (v) => {
      const s = sqlText(field, v) ?? '';
      return negated ? !re.test(s) : re.test(s);
    };
  } else {
    const p = convertParam(field, right);
    switch (op) {
      case '=':
        test = (v) => eqRaw(v, p);
        break;
      case '!=':
        test = (v) => !eqRaw(v, p);
        break;
      case '<':
        test = (v) => compareRaw(v, p) < 0;
        break;
      case '<=':
        test = (v) => compareRaw(v, p) <= 0;
        break;
      case '>':
        test = (v) => compareRaw(v, p) > 0;
        break;
      case '>=':
        test = (v) => compareRaw(v, p) >= 0;
        break;
      default:
        throw valueError(`Invalid leaf ${pyRepr([left, op, right], true)}`);
    }
  }
  return (r) => {
    const v = col(r);
    const res: Tri = v === null ? null : test(v);
    return orNull ? or3(res, v === null) : res;
  };
}

/** res.partner-style `_search_display_name`: the operator on each `_rec_names_search` field. */
function displayNameDomain(model: Model, op: string, value: unknown): unknown[] {
  const fnames = model.def.recNamesSearch ?? (model.recName ? [model.recName] : []);
  if (fnames.length === 0) return [];
  const leaves = fnames.map((f) => [f, op, value]);
  const agg = NEGATIVE.includes(op) ? '&' : '|';
  return [...Array<string>(leaves.length - 1).fill(agg), ...leaves];
}

/** expression.is_false */
export function isFalseDomain(domain: unknown[]): boolean {
  const stack: number[] = [];
  const norm = normalizeDomain(domain);
  for (let i = norm.length - 1; i >= 0; i--) {
    const t = norm[i];
    if (t === '&') stack.push(Math.min(stack.pop()!, stack.pop()!));
    else if (t === '|') stack.push(Math.max(stack.pop()!, stack.pop()!));
    else if (t === '!') stack.push(-stack.pop()!);
    else if (Array.isArray(t) && isTrueLeaf(t)) stack.push(1);
    else if (Array.isArray(t) && isFalseLeaf(t)) stack.push(-1);
    else if (Array.isArray(t) && t[1] === 'in' && !truthy(t[2])) stack.push(-1);
    else if (Array.isArray(t) && t[1] === 'not in' && !truthy(t[2])) stack.push(1);
    else stack.push(0);
  }
  return stack.pop() === -1;
}

/** expression.AND / OR on normalized domains */
export function combineDomains(op: '&' | '|', domains: unknown[][]): unknown[] {
  const unit = op === '&' ? [[1, '=', 1]] : [[0, '=', 1]];
  const zero = op === '&' ? [[0, '=', 1]] : [[1, '=', 1]];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (domains.length === 1 && same(domains[0], unit)) return unit;
  const result: unknown[] = [];
  let count = 0;
  for (const d of domains) {
    if (same(d, unit)) continue;
    if (same(d, zero)) return zero;
    if (d.length) {
      result.push(...normalizeDomain(d));
      count += 1;
    }
  }
  const out = [...Array<string>(Math.max(count - 1, 0)).fill(op), ...result];
  return out.length ? out : unit;
}
