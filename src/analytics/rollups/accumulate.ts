import type { ConversationRollupsTable, TurnRollupsDailyTable } from '../../db/schema.js';
import { DEFAULT_THRESHOLD } from '../fallback.js';
import { NEGATIVE_AT, POSITIVE_AT } from '../sentiment.js';
import { PATH_SEPARATOR } from './build.js';

/**
 * The rollups of a fresh ingestion, summed in memory as its turns stream by, so the ingestion
 * writes rollup rows instead of reading every turn back three times with the SQL of ./build.ts
 * (a fifth of its CPU at a million turns). Each sum mirrors that SQL column for column:
 * `tests/analytics/rollup-accumulate.test.ts` compares an ingestion's rollups with a rebuild's.
 * Every other writer (labelling, the prediction log, rebuild) keeps to the SQL.
 */

/** The turn fields the rollups summarise. */
export interface RollupTurn {
  speaker: string;
  intent: string | null;
  predicted_intent: string | null;
  confidence: number | null;
  sentiment: number | null;
  ts: number | null;
}

const DAY = 86_400_000;

/** Same arithmetic as `periodSql(ts, 'day')`: a true modulo, so times before 1970 floor too. */
export const dayOf = (ts: number) => ts - (((ts % DAY) + DAY) % DAY);

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null || b >= a ? a : b);
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null || b <= a ? a : b);

export type DailyRollupRow = Omit<TurnRollupsDailyTable, 'dataset_id'>;
export type ConversationRollupRow = Omit<ConversationRollupsTable, 'dataset_id'>;

/** One conversation's rollup, added to turn by turn in `idx` order. */
export class ConversationRollup {
  turns = 0;
  first: number | null = null;
  last: number | null = null;
  userTurns = 0;
  userFirst: number | null = null;
  userLast: number | null = null;
  userPredicted = 0;
  systemTurns = 0;
  systemFirst: number | null = null;
  systemLast: number | null = null;
  sentimentN = 0;
  sentimentSum = 0;
  sentimentMin: number | null = null;
  /** The collapsed user path: consecutive repeats of an effective intent are one step. */
  private steps: string[] = [];
  /** Distinct `speaker \0 effective intent` pairs. */
  private readonly intents = new Set<string>();

  add(t: RollupTurn): void {
    const eff = t.intent ?? t.predicted_intent;
    this.turns++;
    this.first = minOf(this.first, t.ts);
    this.last = maxOf(this.last, t.ts);
    if (eff !== null) this.intents.add(`${t.speaker}\u0000${eff}`);
    if (t.speaker === 'USER') {
      this.userTurns++;
      this.userFirst = minOf(this.userFirst, t.ts);
      this.userLast = maxOf(this.userLast, t.ts);
      if (t.predicted_intent !== null) this.userPredicted++;
      if (t.sentiment !== null) {
        this.sentimentN++;
        this.sentimentSum += t.sentiment;
        this.sentimentMin = minOf(this.sentimentMin, t.sentiment);
      }
      if (eff !== null && this.steps[this.steps.length - 1] !== eff) this.steps.push(eff);
    } else if (t.speaker === 'SYSTEM') {
      this.systemTurns++;
      this.systemFirst = minOf(this.systemFirst, t.ts);
      this.systemLast = maxOf(this.systemLast, t.ts);
    }
  }

  row(conversationId: number): ConversationRollupRow {
    return {
      conversation_id: conversationId,
      turns: this.turns,
      first_ts: this.first,
      last_ts: this.last,
      user_turns: this.userTurns,
      user_first_ts: this.userFirst,
      user_last_ts: this.userLast,
      user_predicted: this.userPredicted,
      system_turns: this.systemTurns,
      system_first_ts: this.systemFirst,
      system_last_ts: this.systemLast,
      user_sentiment_n: this.sentimentN,
      user_sentiment_sum: this.sentimentSum,
      user_sentiment_min: this.sentimentMin,
      path: this.steps.length === 0 ? null : this.steps.join(PATH_SEPARATOR),
    };
  }

  /** The (speaker, effective intent) pairs of the conversation, once each. */
  intentRows(conversationId: number): Array<{ conversation_id: number; speaker: string; intent: string }> {
    return [...this.intents].map((k) => {
      const cut = k.indexOf('\u0000');
      return { conversation_id: conversationId, speaker: k.slice(0, cut), intent: k.slice(cut + 1) };
    });
  }
}

/** The daily rollups of a dataset's turns: (UTC day, speaker, effective intent) → measures. */
export class DailyRollups {
  private readonly rows = new Map<string, DailyRollupRow>();

  add(t: RollupTurn): void {
    const eff = t.intent ?? t.predicted_intent;
    const day = t.ts === null ? null : dayOf(t.ts);
    const key = `${day}\u0000${t.speaker}\u0000${eff === null ? '\u0001' : eff}`;
    let r = this.rows.get(key);
    if (!r) {
      r = {
        bucket_day: day,
        speaker: t.speaker,
        intent: eff,
        turns: 0,
        predicted: 0,
        scored: 0,
        confidence_sum: 0,
        below_default: 0,
        sentiment_n: 0,
        sentiment_sum: 0,
        negative: 0,
        positive: 0,
        min_ts: null,
        max_ts: null,
      };
      this.rows.set(key, r);
    }
    r.turns++;
    if (t.predicted_intent !== null) r.predicted++;
    if (t.confidence !== null) {
      r.scored++;
      r.confidence_sum += t.confidence;
      if (t.confidence < DEFAULT_THRESHOLD) r.below_default++;
    }
    if (t.sentiment !== null) {
      r.sentiment_n++;
      r.sentiment_sum += t.sentiment;
      if (t.sentiment <= NEGATIVE_AT) r.negative++;
      if (t.sentiment >= POSITIVE_AT) r.positive++;
    }
    r.min_ts = minOf(r.min_ts, t.ts);
    r.max_ts = maxOf(r.max_ts, t.ts);
  }

  list(): DailyRollupRow[] {
    return [...this.rows.values()];
  }
}
