import { type Static } from '@sinclair/typebox';
import { ValidationError } from '../../core/errors.js';
import { checkTexts, getPredictor, type Prediction, type Predictor } from '../../training/predict.js';
import type { PredictionLog } from '../../monitoring/model/prediction-log.js';
import type { LabApp } from '../app.js';
import { PredictBody, PredictResponseSchema } from '../contracts/training.js';
import { errorResponses } from '../schemas.js';

/** Hands answered predictions to the prediction log (an append to its buffer; no I/O here). */
function logPredictions(
  log: PredictionLog,
  predictor: Predictor,
  texts: string[],
  predictions: Prediction[],
  latencyMs: number,
  body: Static<typeof PredictBody>,
): void {
  if (!log.enabled) return;
  const ts = Date.now();
  predictions.forEach((p, i) =>
    log.record({
      ts,
      modelName: predictor.modelName,
      modelVersion: predictor.modelVersion,
      text: texts[i]!,
      intent: p.intent,
      confidence: p.confidence,
      fallback: p.fallback,
      top: p.top,
      latencyMs,
      conversationId: body.conversation_id,
      sessionId: body.session_id,
      userRef: body.user_ref,
      metadata: body.metadata,
    }),
  );
}

/** Intent prediction with a registered model. */
export default async function predictRoutes(app: LabApp): Promise<void> {
  app.post(
    '/intents/predict',
    {
      schema: {
        tags: ['prediction'],
        summary: 'Predict intents with a registered model (default alias production)',
        body: PredictBody,
        response: {
          200: PredictResponseSchema,
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const b = request.body;
      const texts = b.texts ?? (b.text !== undefined ? [b.text] : undefined);
      if (texts === undefined || (b.text !== undefined && b.texts !== undefined)) {
        throw new ValidationError('give either "text" or "texts"', [
          { field: 'body.text', problem: 'exactly one of text or texts is required' },
        ]);
      }
      if (b.text !== undefined && b.text.trim() === '') {
        throw new ValidationError('text is empty: give the text to classify', [
          { field: 'body.text', problem: 'must be a non-empty string' },
        ]);
      }
      checkTexts(texts, 'body.texts');
      const started = performance.now();
      const predictor = await getPredictor(app.lab, b.model);
      const predictions = await predictor.predict(texts, b.top_k ?? 3);
      logPredictions(app.monitoring.predictions, predictor, texts, predictions, performance.now() - started, b);
      return {
        model: {
          name: predictor.modelName,
          version: predictor.modelVersion,
          model_type: predictor.modelType,
          threshold: predictor.threshold,
        },
        predictions: predictions.map((p, i) => ({ text: texts[i]!, ...p })),
      };
    },
  );
}
