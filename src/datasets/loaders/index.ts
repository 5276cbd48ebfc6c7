import { ValidationError } from '../../core/errors.js';
import { DATASET_TYPES, type DatasetType } from '../types.js';
import { banking77Loader } from './banking77.js';
import { bitextLoader } from './bitext.js';
import { csvLoader } from './csv.js';
import { dialogflowLoader } from './dialogflow.js';
import { jsonlLoader } from './jsonl.js';
import { lexLoader } from './lex.js';
import { rasaTrackerLoader } from './rasa-tracker.js';
import { rasaLoader } from './rasa.js';
import { sgdLoader } from './sgd.js';
import type { Loader } from './types.js';

/** One loader per format; a new format adds one line here. */
const LOADERS: Record<DatasetType, Loader> = {
  banking77: banking77Loader,
  bitext: bitextLoader,
  sgd: sgdLoader,
  csv: csvLoader,
  jsonl: jsonlLoader,
  rasa: rasaLoader,
  dialogflow: dialogflowLoader,
  lex: lexLoader,
  'rasa-tracker': rasaTrackerLoader,
};

export function loaderFor(type: string): Loader {
  if (!(DATASET_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`unknown dataset type "${type}"; use one of ${DATASET_TYPES.join(', ')}`, [
      { field: 'dataset_type', problem: `must be one of ${DATASET_TYPES.join(', ')}` },
    ]);
  }
  return LOADERS[type as DatasetType];
}

export type { Loader } from './types.js';
