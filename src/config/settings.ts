import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MODEL_TYPES, type ModelType } from '../nlp/registry.js';
import { parseEncoderSpec } from '../nlp/encoders/spec.js';
// One list of alert metrics, owned by monitoring (alerts.ts imports only types from here).
import { ALERT_METRICS } from '../monitoring/alerts.js';

/**
 * One settings object for the whole lab. Precedence: defaults < config.json (in the working
 * directory) < environment variables. Keys in config.json use the same names as the environment
 * variables (e.g. {"PORT": 9000}) so there is one vocabulary to learn.
 */
export interface AlertRule {
  metric: string;
  threshold: number;
  /** How long (seconds) the metric must stay in breach before the alert fires. */
  for: number;
  /** Fire when the value is above (default) or below the threshold. */
  direction: 'above' | 'below';
}

export type PredictionLogMode = 'on' | 'off' | 'hashed';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type AuthMode = 'required' | 'off';

export interface Settings {
  databaseUrl: string;
  dialect: 'sqlite' | 'postgres';
  dataDir: string;
  datasetDir: string;
  modelDir: string;
  runsDir: string;
  logDir: string;
  modelCacheDir: string;
  backupDir: string;
  /** Encoder spec used where none is chosen (discovery): use-lite | hf:<folder> | hf:<hub id>[@rev]. */
  defaultModel: string;
  /** Whether a hub encoder missing from MODEL_CACHE_DIR may be downloaded (default deny: nothing is fetched). */
  modelDownloads: 'allow' | 'deny';
  /** ONNX Runtime intra-op threads per Hugging Face encoder session. */
  encoderThreads: number;
  /** The model type `POST /training/run` trains when the request names none. */
  defaultModelType: ModelType;
  alertChannels: string[];
  alertWebhookSecret: string | undefined;
  alerts: AlertRule[];
  host: string;
  port: number;
  logLevel: LogLevel;
  auth: AuthMode;
  maxUploadBytes: number;
  rateLimitPerMinute: number;
  trainingRateLimitPerMinute: number;
  /** Whether the API process also runs a job worker (set false when `chatlab worker` processes do). */
  apiRunWorker: boolean;
  /** A running job whose worker has not heartbeaten for this long is re-queued (or failed). */
  jobLeaseSeconds: number;
  /** How many times a job is tried before a lost worker fails it. */
  jobMaxAttempts: number;
  /** Loaded models kept in memory for predictions; the least recently used is dropped first. */
  predictorCacheSize: number;
  /** Most trials one hyper-parameter search may run (grid combinations, or random `trials`). */
  maxSearchTrials: number;
  /** Whether answered predictions are logged, and whether their text is kept (`hashed`: SHA-256 only). */
  predictionLog: PredictionLogMode;
  /** Logged predictions older than this many days are deleted. */
  predictionLogDays: number;
  /** At most this many logged predictions are kept (the oldest go first). */
  predictionLogMaxRows: number;
  /** Buffered predictions are written at least this often (a crash loses at most this interval). */
  predictionLogFlushMs: number;
  /** A buffer of this many predictions is written at once, without waiting for the interval. */
  predictionLogBatch: number;
  /** Inputs of at least this many KiB are ingested in a worker thread (0: every ingestion). */
  ingestWorkerMinKb: number;
  /** An ingestion commits after about this many rows, so it never holds SQLite's writer for long. */
  ingestCommitRows: number;
}

export class SettingsError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`invalid setting ${key}: ${problem}`);
    this.name = 'SettingsError';
  }
}

type Raw = Record<string, unknown>;

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const SETTING_KEYS = [
  'DATABASE_URL',
  'DATA_DIR',
  'DATASET_DIR',
  'MODEL_DIR',
  'RUNS_DIR',
  'LOG_DIR',
  'MODEL_CACHE_DIR',
  'BACKUP_DIR',
  'DEFAULT_MODEL',
  'DEFAULT_MODEL_TYPE',
  'MODEL_DOWNLOADS',
  'ENCODER_THREADS',
  'ALERT_CHANNELS',
  'ALERT_WEBHOOK_SECRET',
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'CHATLAB_AUTH',
  'MAX_UPLOAD_MB',
  'RATE_LIMIT_PER_MINUTE',
  'TRAINING_RATE_LIMIT_PER_MINUTE',
  'API_RUN_WORKER',
  'JOB_LEASE_SECONDS',
  'JOB_MAX_ATTEMPTS',
  'PREDICTOR_CACHE_SIZE',
  'MAX_SEARCH_TRIALS',
  'PREDICTION_LOG',
  'PREDICTION_LOG_DAYS',
  'PREDICTION_LOG_MAX_ROWS',
  'PREDICTION_LOG_FLUSH_MS',
  'PREDICTION_LOG_BATCH',
  'INGEST_WORKER_MIN_KB',
  'INGEST_COMMIT_ROWS',
] as const;

/** Keys whose values never appear in output. */
export const SECRET_KEYS = new Set(['ALERT_WEBHOOK_SECRET']);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Path of the optional config file; defaults to <cwd>/config.json. */
  configFile?: string;
}

function readConfigFile(file: string): Raw {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SettingsError('config.json', `${file} is not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SettingsError('config.json', `${file} must contain a JSON object`);
  }
  const known = new Set<string>([...SETTING_KEYS, 'alerts']);
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new SettingsError(key, `unknown key in ${file}`);
  }
  return parsed as Raw;
}

function text(raw: Raw, key: string, fallback: string): string {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new SettingsError(key, `must be a string (got ${JSON.stringify(value)})`);
  }
  return String(value);
}

function integer(raw: Raw, key: string, fallback: number, min: number, max: number): number {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max || String(value).trim() === '') {
    throw new SettingsError(key, `must be an integer between ${min} and ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

function bool(raw: Raw, key: string, fallback: boolean): boolean {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  const t = String(value).trim().toLowerCase();
  if (['true', '1', 'yes'].includes(t)) return true;
  if (['false', '0', 'no'].includes(t)) return false;
  throw new SettingsError(key, `must be true or false (got ${JSON.stringify(value)})`);
}

const DATABASE_URL_FORMS = 'use sqlite:<path>, a file path such as ./data/chatlab.db, or postgres://user@host/db';

export function dialectOf(url: string): Settings['dialect'] {
  if (/^postgres(ql)?:\/\/[^/]/i.test(url)) return 'postgres';
  if (/^sqlite:/i.test(url)) {
    if (url.replace(/^sqlite:(\/\/)?/i, '').trim() === '') {
      throw new SettingsError('DATABASE_URL', `"${url}" names no file (${DATABASE_URL_FORMS})`);
    }
    return 'sqlite';
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  if (scheme !== undefined) {
    throw new SettingsError('DATABASE_URL', `unsupported or malformed URL scheme "${scheme}:" (${DATABASE_URL_FORMS})`);
  }
  // A bare path is accepted only when it looks like one, so a typo never becomes a new database.
  if (!/^(\/|\.{1,2}\/|~\/)/.test(url) && !url.includes('/') && !/\.(db|sqlite3?)$/i.test(url)) {
    throw new SettingsError('DATABASE_URL', `"${url}" is neither a URL nor a file path (${DATABASE_URL_FORMS})`);
  }
  return 'sqlite';
}

/**
 * A folder setting must be a folder, or creatable: a file in its place, or a parent that is not
 * a writable folder, stops the program at start-up naming the key (never a failure later on).
 */
function checkFolder(key: string, dir: string): void {
  let probe = dir;
  for (;;) {
    let info;
    try {
      info = statSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new SettingsError(key, `${probe} cannot be used (${code})`);
      const parent = path.dirname(probe);
      if (parent === probe) return;
      probe = parent;
      continue;
    }
    if (!info.isDirectory()) {
      throw new SettingsError(
        key,
        `${probe} is not a folder (${dir === probe ? 'a file is in its place' : `needed for ${dir}`})`,
      );
    }
    try {
      accessSync(probe, probe === dir ? constants.R_OK : constants.W_OK);
    } catch {
      throw new SettingsError(key, `${probe} is not ${probe === dir ? 'readable' : 'writable'} (needed for ${dir})`);
    }
    return;
  }
}

/** A SQLite URL or bare path, resolved against the working directory. */
export function sqlitePath(databaseUrl: string, cwd = process.cwd()): string {
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/i, '');
  return file === ':memory:' ? file : path.resolve(cwd, file);
}

function parseAlertRules(value: unknown): AlertRule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SettingsError('alerts', 'must be an array of rules');
  return value.map((rule: unknown, i) => {
    const key = `alerts[${i}]`;
    if (rule === null || typeof rule !== 'object') throw new SettingsError(key, 'must be an object');
    const r = rule as Raw;
    if (typeof r.metric !== 'string' || r.metric === '') {
      throw new SettingsError(`${key}.metric`, 'must be a non-empty string');
    }
    if (!(ALERT_METRICS as readonly string[]).includes(r.metric)) {
      throw new SettingsError(`${key}.metric`, `unknown metric "${r.metric}" (one of ${ALERT_METRICS.join(', ')})`);
    }
    if (typeof r.threshold !== 'number' || !Number.isFinite(r.threshold)) {
      throw new SettingsError(`${key}.threshold`, 'must be a number');
    }
    const forSeconds = r.for ?? 0;
    if (typeof forSeconds !== 'number' || forSeconds < 0) {
      throw new SettingsError(`${key}.for`, 'must be a number of seconds >= 0');
    }
    const direction = r.direction ?? 'above';
    if (direction !== 'above' && direction !== 'below') {
      throw new SettingsError(`${key}.direction`, 'must be "above" or "below"');
    }
    return { metric: r.metric, threshold: r.threshold, for: forSeconds, direction };
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export function loadSettings(options: LoadOptions = {}): Settings {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromFile = readConfigFile(options.configFile ?? path.join(cwd, 'config.json'));
  const raw: Raw = { ...fromFile };
  for (const key of SETTING_KEYS) {
    if (env[key] !== undefined && env[key] !== '') raw[key] = env[key];
  }
  const dir = (key: string, fallback: string) => {
    const resolved = path.resolve(cwd, text(raw, key, fallback));
    checkFolder(key, resolved);
    return resolved;
  };

  const dataDir = dir('DATA_DIR', './data');
  const databaseUrl = text(raw, 'DATABASE_URL', `sqlite:${path.join(dataDir, 'chatlab.db')}`);
  const dialect = dialectOf(databaseUrl);
  if (dialect === 'sqlite' && sqlitePath(databaseUrl, cwd) !== ':memory:') {
    checkFolder('DATABASE_URL', path.dirname(sqlitePath(databaseUrl, cwd)));
  }

  const host = text(raw, 'HOST', '127.0.0.1');
  const logLevel = text(raw, 'LOG_LEVEL', 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new SettingsError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const authText = text(raw, 'CHATLAB_AUTH', isLoopback(host) ? 'off' : 'required');
  if (authText !== 'required' && authText !== 'off') {
    throw new SettingsError('CHATLAB_AUTH', `must be "required" or "off" (got "${authText}")`);
  }
  const alertChannels = text(raw, 'ALERT_CHANNELS', 'log')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  for (const channel of alertChannels) {
    if (channel !== 'log' && !/^webhook:https?:\/\/\S+$/.test(channel)) {
      throw new SettingsError(
        'ALERT_CHANNELS',
        `unknown channel "${channel}" (use log or webhook:http(s)://host/path)`,
      );
    }
  }

  const defaultModelType = text(raw, 'DEFAULT_MODEL_TYPE', 'encoder-mlp') as ModelType;
  if (!MODEL_TYPES.includes(defaultModelType)) {
    throw new SettingsError(
      'DEFAULT_MODEL_TYPE',
      `must be one of ${MODEL_TYPES.join(', ')} (got "${defaultModelType}")`,
    );
  }
  const defaultModel = text(raw, 'DEFAULT_MODEL', 'use-lite');
  try {
    parseEncoderSpec(defaultModel);
  } catch (err) {
    throw new SettingsError('DEFAULT_MODEL', (err as Error).message);
  }
  const modelDownloads = text(raw, 'MODEL_DOWNLOADS', 'deny').trim().toLowerCase();
  if (modelDownloads !== 'allow' && modelDownloads !== 'deny') {
    throw new SettingsError('MODEL_DOWNLOADS', `must be allow or deny (got ${JSON.stringify(raw.MODEL_DOWNLOADS)})`);
  }
  const predictionLog = text(raw, 'PREDICTION_LOG', 'on').trim().toLowerCase();
  if (predictionLog !== 'on' && predictionLog !== 'off' && predictionLog !== 'hashed') {
    throw new SettingsError('PREDICTION_LOG', `must be on, off or hashed (got ${JSON.stringify(raw.PREDICTION_LOG)})`);
  }

  return {
    databaseUrl,
    dialect,
    dataDir,
    datasetDir: dir('DATASET_DIR', './Dataset'),
    modelDir: dir('MODEL_DIR', './models'),
    runsDir: dir('RUNS_DIR', './pipeline_runs'),
    logDir: dir('LOG_DIR', './logs'),
    modelCacheDir: dir('MODEL_CACHE_DIR', path.join(dataDir, 'model_cache')),
    backupDir: dir('BACKUP_DIR', './backups'),
    defaultModel,
    modelDownloads,
    encoderThreads: integer(raw, 'ENCODER_THREADS', 2, 1, 64),
    defaultModelType,
    alertChannels,
    alertWebhookSecret: raw.ALERT_WEBHOOK_SECRET === undefined ? undefined : String(raw.ALERT_WEBHOOK_SECRET),
    alerts: parseAlertRules(raw.alerts),
    host,
    port: integer(raw, 'PORT', 8000, 0, 65535),
    logLevel,
    auth: authText,
    maxUploadBytes: integer(raw, 'MAX_UPLOAD_MB', 50, 1, 10_000) * 1024 * 1024,
    rateLimitPerMinute: integer(raw, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    trainingRateLimitPerMinute: integer(raw, 'TRAINING_RATE_LIMIT_PER_MINUTE', 20, 1, 1_000_000),
    apiRunWorker: bool(raw, 'API_RUN_WORKER', true),
    jobLeaseSeconds: integer(raw, 'JOB_LEASE_SECONDS', 60, 2, 86_400),
    jobMaxAttempts: integer(raw, 'JOB_MAX_ATTEMPTS', 3, 1, 100),
    predictorCacheSize: integer(raw, 'PREDICTOR_CACHE_SIZE', 4, 1, 1000),
    maxSearchTrials: integer(raw, 'MAX_SEARCH_TRIALS', 100, 1, 100_000),
    predictionLog,
    predictionLogDays: integer(raw, 'PREDICTION_LOG_DAYS', 30, 1, 3650),
    predictionLogMaxRows: integer(raw, 'PREDICTION_LOG_MAX_ROWS', 1_000_000, 1000, 1_000_000_000),
    predictionLogFlushMs: integer(raw, 'PREDICTION_LOG_FLUSH_MS', 1000, 50, 60_000),
    predictionLogBatch: integer(raw, 'PREDICTION_LOG_BATCH', 500, 1, 100_000),
    ingestWorkerMinKb: integer(raw, 'INGEST_WORKER_MIN_KB', 16_384, 0, 1_000_000_000),
    ingestCommitRows: integer(raw, 'INGEST_COMMIT_ROWS', 50_000, 100, 100_000_000),
  };
}

/** Settings as shown to a person: environment-style keys, secrets and passwords masked. */
export function describeSettings(settings: Settings): Record<string, string> {
  const maskUrl = (url: string) => url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1****@');
  return {
    DATABASE_URL: maskUrl(settings.databaseUrl),
    DATA_DIR: settings.dataDir,
    DATASET_DIR: settings.datasetDir,
    MODEL_DIR: settings.modelDir,
    RUNS_DIR: settings.runsDir,
    LOG_DIR: settings.logDir,
    MODEL_CACHE_DIR: settings.modelCacheDir,
    BACKUP_DIR: settings.backupDir,
    DEFAULT_MODEL: settings.defaultModel,
    DEFAULT_MODEL_TYPE: settings.defaultModelType,
    MODEL_DOWNLOADS: settings.modelDownloads,
    ENCODER_THREADS: String(settings.encoderThreads),
    ALERT_CHANNELS: settings.alertChannels.map(maskUrl).join(','),
    ALERT_WEBHOOK_SECRET: settings.alertWebhookSecret ? '****' : '(unset)',
    HOST: settings.host,
    PORT: String(settings.port),
    LOG_LEVEL: settings.logLevel,
    CHATLAB_AUTH: settings.auth,
    MAX_UPLOAD_MB: String(settings.maxUploadBytes / 1024 / 1024),
    RATE_LIMIT_PER_MINUTE: String(settings.rateLimitPerMinute),
    TRAINING_RATE_LIMIT_PER_MINUTE: String(settings.trainingRateLimitPerMinute),
    API_RUN_WORKER: String(settings.apiRunWorker),
    JOB_LEASE_SECONDS: String(settings.jobLeaseSeconds),
    JOB_MAX_ATTEMPTS: String(settings.jobMaxAttempts),
    PREDICTOR_CACHE_SIZE: String(settings.predictorCacheSize),
    MAX_SEARCH_TRIALS: String(settings.maxSearchTrials),
    PREDICTION_LOG: settings.predictionLog,
    PREDICTION_LOG_DAYS: String(settings.predictionLogDays),
    PREDICTION_LOG_MAX_ROWS: String(settings.predictionLogMaxRows),
    PREDICTION_LOG_FLUSH_MS: String(settings.predictionLogFlushMs),
    PREDICTION_LOG_BATCH: String(settings.predictionLogBatch),
    INGEST_WORKER_MIN_KB: String(settings.ingestWorkerMinKb),
    INGEST_COMMIT_ROWS: String(settings.ingestCommitRows),
  };
}

/** Folders the lab writes to; created by `chatlab init` and at server start. */
export function writableDirs(settings: Settings): string[] {
  return [settings.dataDir, settings.modelDir, settings.runsDir, settings.logDir, settings.modelCacheDir];
}
