import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { describeFilters, effectiveIntent, num, round, turnWhere, type AnalyticsFilters } from './filters.js';
import { conversationRollupsApply, conversationRollupWhere, PATH_SEPARATOR } from './rollups/index.js';

export interface FlowNode {
  name: string;
  /** Journey steps at this intent (consecutive user turns on one intent are one step). */
  steps: number;
  /** Conversations whose first user intent is this one. */
  entries: number;
  /** Conversations whose last user intent is this one (drop-off point). */
  exits: number;
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

/**
 * Flows between consecutive USER intents within a conversation (the speaker filter may change
 * that). The database does the heavy part in one pass: a window (LAG over the conversation, ordered
 * by turn index) collapses consecutive repeats into journey steps, each conversation's steps are
 * joined into a path, and identical paths are counted. Links, entries, exits and the top paths all
 * follow from those path counts (a link is a pair of consecutive steps; the entry is the first step,
 * the exit the last). Turns without an effective intent are skipped, so a transition joins the two
 * nearest labelled user turns.
 */
export async function flowAnalysis(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: { top?: number; raw?: boolean } = {},
): Promise<FlowsResult> {
  const top = options.top ?? 10;
  const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'conversation' });
  const eff = effectiveIntent('t');
  const agg =
    lab.db.dialect === 'postgres'
      ? sql`string_agg(intent, ${PATH_SEPARATOR} order by i)`
      : sql`group_concat(intent, ${PATH_SEPARATOR} order by i)`;
  // Each conversation's collapsed user path is kept in its rollup; time bounds or another speaker
  // cut paths differently and take the raw query.
  const fromRollups = conversationRollupsApply(filters, options) && (filters.speaker ?? 'USER') === 'USER';
  const { rows } = await (
    fromRollups
      ? sql<{ path: string; n: number }>`
    select cr.path as path, count(*) as n from conversation_rollups cr
    where ${conversationRollupWhere(filters)} and cr.path is not null group by cr.path`
      : sql<{ path: string; n: number }>`
    with u as (
      select t.conversation_id as c, t.idx as i, ${eff} as intent from turns t where ${where} and ${eff} is not null
    ),
    s as (select c, i, intent, lag(intent) over (partition by c order by i) as prev from u),
    p as (select c, ${agg} as path from s where prev is null or prev <> intent group by c)
    select path, count(*) as n from p group by path`
  ).execute(lab.db.kysely);

  const nodes = new Map<string, FlowNode>();
  const node = (name: string) => {
    let n = nodes.get(name);
    if (!n) nodes.set(name, (n = { name, steps: 0, entries: 0, exits: 0 }));
    return n;
  };
  const links = new Map<string, FlowLink>();
  const paths: Array<{ path: string[]; count: number }> = [];
  let conversations = 0;
  for (const r of rows) {
    const count = num(r.n);
    const steps = r.path.split(PATH_SEPARATOR);
    conversations += count;
    paths.push({ path: steps, count });
    node(steps[0]!).entries += count;
    node(steps[steps.length - 1]!).exits += count;
    steps.forEach((step, i) => {
      node(step).steps += count;
      if (i === 0) return;
      const key = `${steps[i - 1]}\u0000${step}`;
      const link = links.get(key) ?? { source: steps[i - 1]!, target: step, count: 0 };
      link.count += count;
      links.set(key, link);
    });
  }

  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const share = (count: number) => (conversations === 0 ? 0 : round(count / conversations));
  const nodeList = [...nodes.values()].sort((a, b) => b.steps - a.steps || byName(a.name, b.name));
  const linkList = [...links.values()].sort(
    (a, b) => b.count - a.count || byName(a.source, b.source) || byName(a.target, b.target),
  );
  const ranked = (pick: (n: FlowNode) => number) =>
    nodeList
      .filter((n) => pick(n) > 0)
      .map((n) => ({ intent: n.name, count: pick(n), share: share(pick(n)) }))
      .sort((a, b) => b.count - a.count || byName(a.intent, b.intent));
  paths.sort((a, b) => b.count - a.count || byName(a.path.join(PATH_SEPARATOR), b.path.join(PATH_SEPARATOR)));
  return {
    filters: describeFilters(filters),
    conversations,
    transitions: linkList.reduce((s, l) => s + l.count, 0),
    nodes: nodeList,
    links: linkList,
    entries: ranked((n) => n.entries),
    exits: ranked((n) => n.exits),
    paths: paths.slice(0, top).map((p) => ({ ...p, share: share(p.count) })),
  };
}
