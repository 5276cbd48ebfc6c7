import { sql } from 'kysely';
import type { LabContext } from '../core/context.js';
import { describeFilters, effectiveIntent, num, round, turnWhere, type AnalyticsFilters } from './filters.js';

export interface FlowNode {
  name: string;
  /** User turns with this intent. */
  turns: number;
  /** Conversations whose first user intent is this one. */
  entries: number;
  /** Conversations whose last user intent is this one (drop-off point). */
  exits: number;
  /** Consecutive user turns that stayed on this intent (not counted as transitions). */
  repeats: number;
}

export interface FlowLink {
  source: string;
  target: string;
  count: number;
}

export interface FlowsResult {
  filters: ReturnType<typeof describeFilters>;
  conversations: number;
  transitions: number;
  nodes: FlowNode[];
  /** Sankey links: consecutive user turns of one conversation whose effective intent changes. */
  links: FlowLink[];
  entries: Array<{ intent: string; count: number; share: number }>;
  exits: Array<{ intent: string; count: number; share: number }>;
  /** Most common full journeys (consecutive repeats collapsed), top N. */
  paths: Array<{ path: string[]; count: number; share: number }>;
}

const PATH_SEPARATOR = ' > ';

/**
 * Flows between consecutive USER intents within a conversation (speaker filter may change that).
 * One window pass (LAG/LEAD over the conversation, ordered by turn index) feeds links, entries and
 * exits; a second pass aggregates the collapsed journeys into paths. Turns without an effective
 * intent are skipped, so a transition joins the two nearest labelled user turns.
 */
export async function flowAnalysis(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: { top?: number } = {},
): Promise<FlowsResult> {
  const top = options.top ?? 10;
  const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'conversation' });
  const eff = effectiveIntent('t');
  const userTurns = sql`select t.conversation_id as c, t.idx as i, ${eff} as intent
    from turns t where ${where} and ${eff} is not null`;

  const { rows } = await sql<{ prev: string | null; intent: string; last: number; n: number }>`
    with u as (${userTurns}),
    s as (
      select intent,
        lag(intent) over (partition by c order by i) as prev,
        case when lead(i) over (partition by c order by i) is null then 1 else 0 end as last
      from u
    )
    select prev, intent, last, count(*) as n from s group by prev, intent, last`.execute(lab.db.kysely);

  const nodes = new Map<string, FlowNode>();
  const node = (name: string) => {
    let n = nodes.get(name);
    if (!n) nodes.set(name, (n = { name, turns: 0, entries: 0, exits: 0, repeats: 0 }));
    return n;
  };
  const links = new Map<string, FlowLink>();
  let conversations = 0;
  for (const r of rows) {
    const count = num(r.n);
    const target = node(r.intent);
    target.turns += count;
    if (num(r.last) === 1) target.exits += count;
    if (r.prev === null) {
      target.entries += count;
      conversations += count;
    } else if (r.prev === r.intent) {
      target.repeats += count;
    } else {
      const key = JSON.stringify([r.prev, r.intent]);
      const link = links.get(key) ?? { source: r.prev, target: r.intent, count: 0 };
      link.count += count;
      links.set(key, link);
    }
  }

  const agg =
    lab.db.dialect === 'postgres'
      ? sql`string_agg(intent, ${PATH_SEPARATOR} order by i)`
      : sql`group_concat(intent, ${PATH_SEPARATOR} order by i)`;
  const paths = await sql<{ path: string; n: number }>`
    with u as (${userTurns}),
    s as (select c, i, intent, lag(intent) over (partition by c order by i) as prev from u),
    p as (select c, ${agg} as path from s where prev is null or prev <> intent group by c)
    select path, count(*) as n from p group by path order by count(*) desc, path limit ${top}`.execute(
    lab.db.kysely,
  );

  const byCount = <T extends { count: number }>(a: T & { name?: string; intent?: string }, b: T & { name?: string; intent?: string }) =>
    b.count - a.count || String(a.intent ?? a.name).localeCompare(String(b.intent ?? b.name));
  const share = (count: number) => (conversations === 0 ? 0 : round(count / conversations));
  const nodeList = [...nodes.values()].sort((a, b) => b.turns - a.turns || a.name.localeCompare(b.name));
  const linkList = [...links.values()].sort(
    (a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.target.localeCompare(b.target),
  );
  return {
    filters: describeFilters(filters),
    conversations,
    transitions: linkList.reduce((s, l) => s + l.count, 0),
    nodes: nodeList,
    links: linkList,
    entries: nodeList
      .filter((n) => n.entries > 0)
      .map((n) => ({ intent: n.name, count: n.entries, share: share(n.entries) }))
      .sort(byCount),
    exits: nodeList
      .filter((n) => n.exits > 0)
      .map((n) => ({ intent: n.name, count: n.exits, share: share(n.exits) }))
      .sort(byCount),
    paths: paths.rows.map((r) => ({ path: r.path.split(PATH_SEPARATOR), count: num(r.n), share: share(num(r.n)) })),
  };
}
