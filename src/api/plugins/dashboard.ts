import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../core/errors.js';
import { runEvaluation } from '../../experiments/artifacts.js';
import type { LabApp } from '../app.js';
import { EvaluationSchema } from '../contracts/experiments.js';
import { errorResponses } from '../schemas.js';

/** dist/web, next to this compiled file (dist/api/plugins) or, under tsx/vitest, from src/. */
export function dashboardRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '../../..', 'dist', 'web');
}

/** A browser navigation (wants HTML), as opposed to an API client or a script asking for JSON. */
function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

/** Paths that look like files (`/assets/x.js`, `/favicon.ico`) get a real 404, not the app. */
function looksLikeFile(urlPath: string): boolean {
  return path.posix.extname(urlPath) !== '';
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chatbot Analytics Lab</title></head>
<body><h1>Dashboard not built</h1><p>The web dashboard has not been built in this installation.
Run <code>npm run build</code> (or <code>npm run build:web</code>) and restart <code>chatlab serve</code>.
The API works meanwhile: see <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * Serves the built dashboard (dist/web) at `/`. The app uses hash routes (`/#/datasets/3`), so the
 * server only needs `/`, `/assets/*` and a fallback: any other GET that a browser navigates to
 * (Accept: text/html) and that no API route answers gets index.html; everything else, API
 * clients included, still gets the JSON 404. The routes are hidden from the OpenAPI document.
 */
export async function registerDashboard(app: LabApp): Promise<void> {
  app.get(
    '/training/runs/:id/evaluation',
    {
      schema: {
        tags: ['training'],
        summary: "A run's evaluation: per-intent report, confusion matrix, calibration, misclassified test examples",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: EvaluationSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => runEvaluation(app.lab, request.params.id),
  );

  const root = dashboardRoot();
  const built = existsSync(path.join(root, 'index.html'));

  if (built) {
    // serve: false: we route ourselves, so unknown paths reach our fallback instead of a 404.
    await app.register(fastifyStatic, { root, serve: false });
  }

  const sendIndex = (reply: FastifyReply) => {
    if (!built) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    // The shell must never be cached: it names the hashed asset files of the current build.
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };

  app.get('/', { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(request.url.split('?')[0] ?? '/');
    } catch {
      throw new ValidationError('the path contains a malformed % escape', [
        { field: 'path', problem: 'malformed percent-encoding' },
      ]);
    }
    if (built && looksLikeFile(urlPath)) {
      const relative = path.posix.normalize(urlPath).replace(/^\/+/, '');
      const file = path.join(root, relative);
      // normalize() has removed `..`; the prefix check guards against anything left that escapes root.
      if (file.startsWith(root + path.sep) && existsSync(file) && statSync(file).isFile()) {
        // Vite puts a content hash in every asset name, so assets can be cached for good.
        const immutable = relative.startsWith('assets/');
        return reply.sendFile(relative, { immutable, maxAge: immutable ? '1y' : 0 });
      }
    }
    if (!looksLikeFile(urlPath) && wantsHtml(request)) return sendIndex(reply);
    return reply.callNotFound();
  });
}
