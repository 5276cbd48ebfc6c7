import { dict } from '../../core/dict.js';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileError } from '../files.js';
import type { ExampleRecord } from '../types.js';
import {
  bundleJson,
  bundleObject,
  deterministicZip,
  fileNamer,
  jsonText,
  locateBundle,
  readBundle,
  walk,
  type BundleFile,
} from './bundle.js';
import { entitySpans, type EntitySpan } from './entities.js';
import { byLabel, objectAt, type FormatWriter } from './export-types.js';
import { missing } from './locate.js';
import { emptyIntentFindings } from './rasa.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected a Dialogflow ES agent export (the .zip or its unzipped folder): agent.json, intents/<name>.json and ' +
  'intents/<name>_usersays_<language>.json; see https://cloud.google.com/dialogflow/es/docs/agents-settings#export';

const USERSAYS = /^(.*)_usersays_([A-Za-z-]+)\.json$/;

interface DataPart {
  text?: unknown;
  alias?: unknown;
  meta?: unknown;
  userDefined?: unknown;
}

/**
 * Dialogflow ES: each training phrase's text is its `data` parts joined; annotated parts become
 * `metadata.entities` (entity = the parameter alias, type = the entity meta such as `@sys.geo-city`).
 * The label is the intent file's `name`. The agent settings and the intents' other fields
 * (responses, contexts, parameters) are kept as dataset metadata so an export can restore them.
 */
export const dialogflowLoader: Loader = {
  type: 'dialogflow',
  layout: LAYOUT,
  locate: (p) =>
    locateBundle(p, LAYOUT, (folder) => {
      const intents = walk(folder, (rel) => /(^|\/)intents\/[^/]+\.json$/.test(rel), 3);
      if (intents.length === 0) throw missing(path.join(folder, 'intents'), LAYOUT);
      const entities = walk(folder, (rel) => /(^|\/)entities\/[^/]+\.json$/.test(rel), 3);
      const agent = path.join(folder, 'agent.json');
      return [...(existsSync(agent) ? [agent] : []), ...entities, ...intents];
    }),
  async *read({ path: root, files, language, onBytes }) {
    const bundle = await readBundle(root, files, onBytes);
    const intentFiles = bundle.filter((f) => /(^|\/)intents\/[^/]+\.json$/.test(f.rel));
    if (intentFiles.length === 0) throw fileError(root, `contains no intents/<name>.json; ${LAYOUT}`);
    const base = intentFiles[0]!.rel.replace(/intents\/[^/]+$/, '');
    const agentFile = bundle.find((f) => f.rel === `${base}agent.json`);
    const agent = agentFile ? bundleObject(agentFile, 'the agent settings') : undefined;
    const agentLanguage = agent?.language;
    const lang = language ?? (typeof agentLanguage === 'string' ? agentLanguage : 'en');

    const definitions = new Map<string, BundleFile>();
    const usersays: Array<{ file: BundleFile; stem: string; lang: string }> = [];
    for (const f of intentFiles) {
      const name = f.rel.slice(base.length + 'intents/'.length);
      const m = USERSAYS.exec(name);
      if (m) usersays.push({ file: f, stem: m[1]!, lang: m[2]! });
      else definitions.set(name.replace(/\.json$/, ''), f);
    }
    for (const u of usersays) {
      if (!definitions.has(u.stem)) {
        throw fileError(u.file.shown, `has no intent file ${base}intents/${u.stem}.json beside it; ${LAYOUT}`);
      }
    }
    if (usersays.length > 0 && !usersays.some((u) => u.lang === lang)) {
      const found = [...new Set(usersays.map((u) => u.lang))].sort().join(', ');
      throw fileError(
        root,
        `has no training phrases in language "${lang}" (found ${found}); choose one with --language`,
      );
    }

    const records: ExampleRecord[] = [];
    const intents: Array<{ name: string; definition: unknown }> = [];
    const empty: string[] = [];
    for (const [stem, file] of definitions) {
      const def = bundleObject(file, 'an intent');
      const label = typeof def.name === 'string' && def.name.trim() !== '' ? def.name : stem;
      intents.push({ name: label, definition: def });
      const phrases = usersays.find((u) => u.stem === stem && u.lang === lang);
      const before = records.length;
      if (phrases) readPhrases(phrases.file, label, records);
      if (records.length === before) empty.push(label);
    }
    // Entity definitions are written back as they came, so a restored agent knows its @entities.
    const entityFiles = bundle
      .filter((f) => f.rel.startsWith(`${base}entities/`) && f.rel.endsWith('.json'))
      .map((f) => ({ name: f.rel.slice(`${base}entities/`.length), content: bundleJson(f) }));
    yield [
      {
        kind: 'dataset',
        metadata: {
          dialogflow: {
            language: lang,
            ...(agent ? { agent } : {}),
            intents,
            ...(entityFiles.length > 0 ? { entity_files: entityFiles } : {}),
          },
        },
        findings: emptyIntentFindings(empty),
      },
      ...records,
    ];
  },
};

function readPhrases(file: BundleFile, label: string, out: ExampleRecord[]): void {
  const list = bundleJson(file);
  if (!Array.isArray(list)) throw fileError(file.shown, 'must be a JSON array of training phrases');
  list.forEach((phrase: { data?: unknown; isTemplate?: unknown } | null, i) => {
    if (!phrase || !Array.isArray(phrase.data))
      throw fileError(file.shown, `training phrase #${i + 1} has no data array`);
    let text = '';
    const entities: EntitySpan[] = [];
    for (const part of phrase.data as DataPart[]) {
      if (!part || typeof part.text !== 'string')
        throw fileError(file.shown, `training phrase #${i + 1}: a data part has no text`);
      const start = text.length;
      text += part.text;
      const alias = typeof part.alias === 'string' && part.alias !== '' ? part.alias : undefined;
      const meta = typeof part.meta === 'string' && part.meta !== '' ? part.meta : undefined;
      if (alias || meta) {
        const entity = alias ?? meta!.replace(/^@/, '');
        entities.push({
          start,
          end: text.length,
          value: part.text,
          entity,
          ...(meta && meta !== `@${entity}` ? { type: meta } : {}),
        });
      }
    }
    const metadata: Record<string, unknown> = dict();
    if (entities.length > 0) metadata.entities = entities;
    if (phrase.isTemplate === true) metadata.is_template = true;
    out.push({ kind: 'example', split: 'train', text, label, ...(Object.keys(metadata).length ? { metadata } : {}) });
  });
}

/** A UUID-shaped id from content, so the same version exports the same bytes. */
function stableId(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function defaultIntent(label: string, lang: string) {
  return {
    id: stableId('intent', label),
    name: label,
    auto: true,
    contexts: [],
    responses: [
      {
        resetContexts: false,
        action: '',
        affectedContexts: [],
        parameters: [],
        messages: [{ type: '0', title: '', textToSpeech: '', lang, speech: [], condition: '' }],
        speech: [],
      },
    ],
    priority: 500000,
    webhookUsed: false,
    webhookForSlotFilling: false,
    fallbackIntent: false,
    events: [],
    conditionalResponses: [],
    condition: '',
    conditionalFollowupEvents: [],
  };
}

function phraseParts(text: string, metadata: Record<string, unknown> | null) {
  const parts: Array<Record<string, unknown>> = [];
  let pos = 0;
  for (const s of entitySpans(text, metadata)) {
    if (s.start < pos) continue; // Dialogflow parts cannot overlap: the first annotation wins.
    if (s.start > pos) parts.push({ text: text.slice(pos, s.start), userDefined: false });
    parts.push({
      text: text.slice(s.start, s.end),
      meta: s.type ?? `@${s.entity}`,
      alias: s.entity,
      userDefined: true,
    });
    pos = s.end;
  }
  if (pos < text.length || parts.length === 0) parts.push({ text: text.slice(pos), userDefined: false });
  return parts;
}

/** A Dialogflow ES agent zip (agent.json, package.json, intents/) that the console can restore. */
export const dialogflowWriter: FormatWriter = {
  format: 'dialogflow',
  extension: 'zip',
  contentType: 'application/zip',
  write({ name, examples, metadata }) {
    const kept = objectAt(metadata, 'dialogflow');
    const lang = typeof kept?.language === 'string' ? kept.language : 'en';
    const agent = objectAt(kept, 'agent') ?? {
      description: '',
      language: lang,
      shortDescription: '',
      examples: '',
      linkToDocs: '',
      displayName: name,
      disableInteractionLogs: false,
      disableStackdriverLogs: true,
      defaultTimezone: 'Europe/London',
      isPrivate: true,
      mlMinConfidence: 0.3,
      supportedLanguages: [],
      enableOnePlatformResponses: true,
      onePlatformApiVersion: 'v2',
      analyzeQueryTextSentiment: false,
      enabledKnowledgeBaseNames: [],
      knowledgeServiceConfidenceAdjustment: 0,
      dialogBuilderMode: false,
      baseActionPackagesUrl: '',
      enableSpellCorrection: false,
    };
    const definitions = new Map<string, Record<string, unknown>>();
    for (const i of Array.isArray(kept?.intents)
      ? (kept.intents as Array<{ name?: unknown; definition?: unknown }>)
      : []) {
      if (typeof i?.name === 'string' && i.definition && typeof i.definition === 'object') {
        definitions.set(i.name, i.definition as Record<string, unknown>);
      }
    }
    const files = new Map<string, string>([
      ['agent.json', jsonText(agent)],
      ['package.json', jsonText({ version: '1.0.0' })],
    ]);
    const groups = byLabel(examples);
    const labels = [...new Set([...groups.keys(), ...definitions.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const fileName = fileNamer();
    for (const label of labels) {
      const stem = fileName(label);
      files.set(
        `intents/${stem}.json`,
        jsonText({ ...(definitions.get(label) ?? defaultIntent(label, lang)), name: label }),
      );
      const list = groups.get(label);
      if (!list) continue;
      const phrases = list.map((e, i) => ({
        id: stableId('phrase', label, String(i), e.text),
        data: phraseParts(e.text, e.metadata),
        isTemplate: e.metadata?.is_template === true,
        count: 0,
        lang,
        updated: 0,
      }));
      files.set(`intents/${stem}_usersays_${lang}.json`, jsonText(phrases));
    }
    const entityName = fileNamer();
    for (const e of Array.isArray(kept?.entity_files)
      ? (kept.entity_files as Array<{ name?: unknown; content?: unknown }>)
      : []) {
      if (typeof e?.name !== 'string' || e.content === undefined) continue;
      files.set(`entities/${entityName(e.name.replace(/\.json$/, ''))}.json`, jsonText(e.content));
    }
    return deterministicZip(files);
  },
};
