/**
 * Entity annotations inside example texts, in the shape Rasa uses internally: character offsets in
 * the plain text, the entity name, and its value (the synonym's value when one was given). Every
 * format maps to it (Rasa's `[text](entity)`, Dialogflow's annotated `data` parts), so annotations
 * survive an export in another format that can carry them.
 */
export interface EntitySpan {
  start: number;
  end: number;
  value: string;
  entity: string;
  role?: string;
  group?: string;
  /** The platform's entity type when it differs from the name (Dialogflow's `@sys.geo-city`). */
  type?: string;
}

// Rasa's own annotation grammar: [text](entity), [text](entity:value), [text]{json}, [text][{json}, …].
const ANNOTATION =
  /\[(?<text>[^\]]+?)\](?:\((?<entity>[^:)]+?)(?::(?<value>[^)]+))?\)|\{(?<dict>[^}]+?)\}|\[(?<list>.*?)\])/g;

/** Strips annotations from `raw`; `fail` names the problem (a malformed `{…}`) with the caller's file and line. */
export function parseAnnotated(
  raw: string,
  fail: (problem: string) => Error,
): { text: string; entities: EntitySpan[] } {
  let text = '';
  let last = 0;
  const entities: EntitySpan[] = [];
  for (const m of raw.matchAll(ANNOTATION)) {
    const g = m.groups!;
    text += raw.slice(last, m.index);
    const surface = g.text!;
    const start = text.length;
    text += surface;
    last = m.index! + m[0].length;
    const dicts: unknown[] = [];
    if (g.entity !== undefined) dicts.push({ entity: g.entity, ...(g.value !== undefined ? { value: g.value } : {}) });
    else {
      const json = g.dict !== undefined ? `{${g.dict}}` : `[${g.list}]`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        throw fail(`entity annotation ${m[0]} is not valid JSON`);
      }
      dicts.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    }
    for (const d of dicts) {
      const o = d as Record<string, unknown> | null;
      if (!o || typeof o !== 'object' || typeof o.entity !== 'string' || o.entity === '') {
        throw fail(`entity annotation ${m[0]} needs an "entity" name`);
      }
      entities.push({
        start,
        end: text.length,
        value: o.value === undefined ? surface : String(o.value),
        entity: o.entity,
        ...(typeof o.role === 'string' ? { role: o.role } : {}),
        ...(typeof o.group === 'string' ? { group: o.group } : {}),
      });
    }
  }
  return { text: text + raw.slice(last), entities };
}

/** Valid spans of example metadata, sorted and without overlaps (overlapping ones are dropped). */
export function entitySpans(text: string, metadata: Record<string, unknown> | null): EntitySpan[] {
  const raw = metadata?.entities;
  if (!Array.isArray(raw)) return [];
  const spans = raw
    .filter((e): e is EntitySpan => {
      const s = e as Partial<EntitySpan> | null;
      return (
        !!s &&
        typeof s.entity === 'string' &&
        Number.isInteger(s.start) &&
        Number.isInteger(s.end) &&
        s.start! >= 0 &&
        s.end! > s.start! &&
        s.end! <= text.length
      );
    })
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const out: EntitySpan[] = [];
  for (const s of spans) {
    const prev = out[out.length - 1];
    if (prev && s.start < prev.end && !(s.start === prev.start && s.end === prev.end)) continue;
    out.push(s);
  }
  return out;
}

/** The Rasa training-data form of a text with its annotations. */
export function renderAnnotated(text: string, metadata: Record<string, unknown> | null): string {
  const spans = entitySpans(text, metadata);
  let out = '';
  let pos = 0;
  for (let i = 0; i < spans.length;) {
    const { start, end } = spans[i]!;
    const same: EntitySpan[] = [];
    while (i < spans.length && spans[i]!.start === start && spans[i]!.end === end) same.push(spans[i++]!);
    const surface = text.slice(start, end);
    const dicts = same.map((s) => ({
      entity: s.entity,
      ...(s.role ? { role: s.role } : {}),
      ...(s.group ? { group: s.group } : {}),
      ...(s.value !== surface ? { value: s.value } : {}),
    }));
    const simple = dicts.length === 1 && Object.keys(dicts[0]!).length === 1 && /^[^:)]+$/.test(dicts[0]!.entity);
    const tail = simple
      ? `(${dicts[0]!.entity})`
      : dicts.length === 1
        ? JSON.stringify(dicts[0])
        : JSON.stringify(dicts);
    out += `${text.slice(pos, start)}[${surface}]${tail}`;
    pos = end;
  }
  return out + text.slice(pos);
}
