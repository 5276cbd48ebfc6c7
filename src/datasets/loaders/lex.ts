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
import { byLabel, objectAt, type FormatWriter } from './export-types.js';
import { missing } from './locate.js';
import { emptyIntentFindings } from './rasa.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected an Amazon Lex V2 bot export (the .zip or its unzipped folder): <Bot>/BotLocales/<locale>/Intents/<Intent>/Intent.json ' +
  'with sampleUtterances; see https://docs.aws.amazon.com/lexv2/latest/dg/import-export-format.html';

// <Bot>/BotLocales/<locale>/Intents/<intent>/..., or a locale export's Intents/<intent>/... at the top.
const INTENT_PATH = /^(?:(.*?)\/)?(?:BotLocales\/([^/]+)\/)?Intents\/([^/]+)\/(.+)$/;
const SLOT_REFERENCE = /\{([A-Za-z0-9_-]+)\}/g;
const FALLBACK = 'AMAZON.FallbackIntent';

interface IntentFolder {
  dir: string;
  intent?: BundleFile;
  slots: BundleFile[];
}

/**
 * Amazon Lex V2: every sample utterance of the chosen locale is an example of its intent (the
 * Intent.json `name`). Slot references such as `{Location}` stay in the text as written and are
 * listed in `metadata.slot_references`. Bot, locale, intent and slot settings are kept as dataset
 * metadata so an export can restore them.
 */
export const lexLoader: Loader = {
  type: 'lex',
  layout: LAYOUT,
  locate: (p) =>
    locateBundle(p, LAYOUT, (folder) => {
      const files = walk(folder, (rel) => /\.json$/i.test(rel));
      if (!files.some((f) => /(^|[\\/])Intents[\\/]/.test(path.relative(folder, f)))) {
        throw missing(path.join(folder, '<Bot>/BotLocales/<locale>/Intents'), LAYOUT);
      }
      return files;
    }),
  async *read({ path: root, files, language, onBytes }) {
    const bundle = await readBundle(root, files, onBytes);
    const locales = new Map<string, Map<string, IntentFolder>>();
    let botDir: string | undefined;
    for (const f of bundle) {
      const m = INTENT_PATH.exec(f.rel);
      if (!m) continue;
      const [, bot, locale = '', intentDir, rest] = m;
      botDir ??= bot;
      const intents = locales.get(locale) ?? new Map<string, IntentFolder>();
      locales.set(locale, intents);
      const dir = f.rel.slice(0, f.rel.length - rest!.length - 1);
      const folder = intents.get(intentDir!) ?? { dir, slots: [] };
      intents.set(intentDir!, folder);
      if (rest === 'Intent.json') folder.intent = f;
      else if (/^Slots\/[^/]+\/Slot\.json$/.test(rest!)) folder.slots.push(f);
    }
    if (locales.size === 0) throw fileError(root, `contains no Intents/<name>/Intent.json; ${LAYOUT}`);
    const names = [...locales.keys()].sort();
    const locale = language ?? (names.length === 1 ? names[0]! : undefined);
    if (locale === undefined) {
      throw fileError(root, `has several locales (${names.join(', ')}); choose one with --language`);
    }
    const intents = locales.get(locale);
    if (!intents) throw fileError(root, `has no locale "${locale}" (found ${names.join(', ') || 'none'})`);

    const records: ExampleRecord[] = [];
    const kept: Array<{ name: string; intent: unknown; slots: unknown[] }> = [];
    const empty: string[] = [];
    for (const [dirName, folder] of intents) {
      if (!folder.intent) {
        throw fileError(root, `intent folder ${folder.dir} has no Intent.json; ${LAYOUT}`);
      }
      const def = bundleObject(folder.intent, 'an intent');
      const label = typeof def.name === 'string' && def.name.trim() !== '' ? def.name : dirName;
      const utterances = def.sampleUtterances ?? [];
      if (!Array.isArray(utterances)) throw fileError(folder.intent.shown, 'sampleUtterances must be a list');
      const { sampleUtterances: _dropped, ...rest } = def;
      kept.push({ name: label, intent: rest, slots: folder.slots.map(bundleJson) });
      if (utterances.length === 0) empty.push(label);
      utterances.forEach((u: { utterance?: unknown } | null, i) => {
        if (!u || typeof u.utterance !== 'string') {
          throw fileError(folder.intent!.shown, `sampleUtterances[${i}] has no utterance text`);
        }
        const refs = [...u.utterance.matchAll(SLOT_REFERENCE)].map((m) => m[1]!);
        records.push({
          kind: 'example',
          split: 'train',
          text: u.utterance,
          label,
          ...(refs.length > 0 ? { metadata: { slot_references: refs } } : {}),
        });
      });
    }
    const file = (rel: string) => bundle.find((f) => f.rel === rel);
    const prefix = botDir ? `${botDir}/` : '';
    const botFile = file(`${prefix}Bot.json`);
    const localeFile = file(locale ? `${prefix}BotLocales/${locale}/BotLocale.json` : 'BotLocale.json');
    const slotTypes = bundle.filter(
      (f) =>
        f.rel.startsWith(`${prefix}${locale ? `BotLocales/${locale}/` : ''}SlotTypes/`) &&
        f.rel.endsWith('/SlotType.json'),
    );
    yield [
      {
        kind: 'dataset',
        metadata: {
          lex: {
            locale: locale || 'en_US',
            ...(botFile ? { bot: bundleJson(botFile) } : {}),
            ...(localeFile ? { bot_locale: bundleJson(localeFile) } : {}),
            intents: kept,
            slot_types: slotTypes.map(bundleJson),
          },
        },
        findings: emptyIntentFindings(empty.filter((n) => !isFallback(kept.find((k) => k.name === n)?.intent))),
      },
      ...records,
    ];
  },
};

/** Entry names never carry path separators or dots from user data. */
const safe = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_') || '_';

const isFallback = (intent: unknown) =>
  (intent as { parentIntentSignature?: unknown } | undefined)?.parentIntentSignature === FALLBACK;

/** A Lex V2 bot zip (manifest.json, <Bot>/Bot.json, BotLocales/<locale>/…) in the console's import layout. */
export const lexWriter: FormatWriter = {
  format: 'lex',
  extension: 'zip',
  contentType: 'application/zip',
  write({ name, examples, metadata }) {
    const kept = objectAt(metadata, 'lex');
    const locale = typeof kept?.locale === 'string' && kept.locale ? kept.locale : 'en_US';
    const keptBot = objectAt(kept, 'bot');
    const botName =
      (typeof keptBot?.name === 'string' ? keptBot.name : name)
        .replace(/[^A-Za-z0-9_-]/g, '_')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 100) || 'Bot';
    const bot = keptBot ?? {
      name: botName,
      version: null,
      description: null,
      dataPrivacy: { childDirected: false },
      idleSessionTTLInSeconds: 300,
      identifier: null,
    };
    const botLocale = objectAt(kept, 'bot_locale') ?? {
      name: locale,
      identifier: locale,
      version: null,
      description: null,
      voiceSettings: null,
      nluConfidenceThreshold: 0.4,
    };
    const definitions = new Map<string, { intent: Record<string, unknown>; slots: unknown[] }>();
    for (const i of Array.isArray(kept?.intents) ? (kept.intents as Array<Record<string, unknown>>) : []) {
      if (typeof i?.name === 'string' && i.intent && typeof i.intent === 'object') {
        definitions.set(i.name, {
          intent: i.intent as Record<string, unknown>,
          slots: Array.isArray(i.slots) ? i.slots : [],
        });
      }
    }
    const groups = byLabel(examples);
    const labels = [...new Set([...groups.keys(), ...definitions.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Lex refuses a locale without its fallback intent.
    if (![...definitions.values()].some((d) => isFallback(d.intent)) && !labels.includes('FallbackIntent')) {
      labels.push('FallbackIntent');
      definitions.set('FallbackIntent', {
        intent: {
          name: 'FallbackIntent',
          identifier: 'FALLBCKINT',
          description: 'Default fallback intent',
          parentIntentSignature: FALLBACK,
        },
        slots: [],
      });
    }
    const root = `${botName}/BotLocales/${locale}`;
    const files = new Map<string, string>([
      ['manifest.json', jsonText({ metadata: { schemaVersion: '1.0', fileFormat: 'LexJson', resourceType: 'Bot' } })],
      [`${botName}/Bot.json`, jsonText(bot)],
      [`${root}/BotLocale.json`, jsonText(botLocale)],
    ]);
    const folderName = fileNamer(/[^A-Za-z0-9_-]/g);
    for (const label of labels) {
      const folder = `${root}/Intents/${folderName(label)}`;
      const kept = definitions.get(label);
      const utterances = (groups.get(label) ?? []).map((e) => ({ utterance: e.text.replace(/\s*\n\s*/g, ' ') }));
      const referenced = new Set(
        utterances.flatMap((u) => [...u.utterance.matchAll(SLOT_REFERENCE)].map((m) => m[1]!)),
      );
      const slots = (kept?.slots ?? []) as Array<{ name?: unknown }>;
      const slotNames = new Set(slots.map((s) => s?.name));
      const intent = kept?.intent ?? { name: label, identifier: null, description: null, parentIntentSignature: null };
      files.set(
        `${folder}/Intent.json`,
        jsonText({ ...intent, name: label, ...(isFallback(intent) ? {} : { sampleUtterances: utterances }) }),
      );
      for (const s of slots)
        if (typeof s?.name === 'string') files.set(`${folder}/Slots/${safe(s.name)}/Slot.json`, jsonText(s));
      // A slot referenced by an utterance must exist in the intent for Lex to build it.
      for (const ref of [...referenced].sort()) {
        if (slotNames.has(ref)) continue;
        files.set(
          `${folder}/Slots/${safe(ref)}/Slot.json`,
          jsonText({
            name: ref,
            identifier: null,
            description: null,
            slotTypeName: 'AMAZON.AlphaNumeric',
            valueElicitationSetting: { slotConstraint: 'Optional' },
          }),
        );
      }
    }
    for (const t of Array.isArray(kept?.slot_types) ? (kept.slot_types as Array<{ name?: unknown }>) : []) {
      if (typeof t?.name === 'string') files.set(`${root}/SlotTypes/${safe(t.name)}/SlotType.json`, jsonText(t));
    }
    return deterministicZip(files);
  },
};
