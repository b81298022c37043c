// /api/v1/openapi.json, built from API_ROUTES and their zod schemas.
import { z } from 'zod';
import type { ApiRoute } from './api-routes.js';
import { ErrorSchema, SessionRequestSchema, WhoAmISchema } from './schemas.js';

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: 'input' | 'output'): Json {
  const j = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Json;
  delete j.$schema;
  // a lone named schema comes back as a $ref to its one $defs entry: unwrap it
  const defs = j.$defs as Record<string, Json> | undefined;
  const ref = typeof j.$ref === 'string' ? j.$ref.replace('#/$defs/', '') : '';
  if (defs && Object.keys(defs).length === 1 && defs[ref]) return defs[ref];
  return j;
}

/** Output schemas with an id are referenced from components; others are inlined. */
function outputRef(s: z.ZodType): Json {
  const id = z.globalRegistry.get(s)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : schema(s, 'output');
}

function components(): Json {
  const all = z.toJSONSchema(z.globalRegistry, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const v of Object.values(all.schemas)) {
    delete v.$schema;
    delete v.id;
    delete v.$id;
  }
  return all.schemas;
}

function parameters(r: ApiRoute): Json[] {
  const out: Json[] = [];
  for (const [where, s] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    if (!s) continue;
    const j = schema(s, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, p] of Object.entries(j.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (j.required ?? []).includes(name),
        schema: p,
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
      });
    }
  }
  return out;
}

const errorResponses = (r: ApiRoute): Json => ({
  '400': {
    description: 'invalid input',
    content: { 'application/json': { schema: outputRef(ErrorSchema) } },
  },
  '401': { description: 'no or unknown token' },
  ...(r.role === 'admin' ? { '403': { description: 'viewer token' } } : {}),
  '404': { description: 'no such VM' },
  '502': { description: 'daemon unreachable' },
});

function okResponse(r: ApiRoute): Json {
  if (r.response === 'png') {
    return {
      '200': { description: 'PNG image', content: { 'image/png': {} } },
      '304': { description: 'not modified (If-None-Match)' },
    };
  }
  if (r.response === 'websocket') {
    return { '101': { description: 'WebSocket upgrade; binary RFB frames' } };
  }
  return {
    [String(r.status ?? 200)]: {
      description: 'OK',
      content: { 'application/json': { schema: outputRef(r.response) } },
    },
  };
}

export function openApiDocument(routes: readonly ApiRoute[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const p = `/api/v1${r.path.replace(/:(\w+)/g, '{$1}')}`;
    paths[p] ??= {};
    paths[p][r.method.toLowerCase()] = {
      summary: r.summary,
      'x-role': r.role,
      parameters: parameters(r),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schema(r.body, 'input') } },
            },
          }
        : {}),
      responses: { ...okResponse(r), ...errorResponses(r) },
    };
  }
  paths['/api/v1/session'] = {
    post: {
      summary: 'log in: exchange a token for an HttpOnly session cookie',
      security: [],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: schema(SessionRequestSchema, 'input') } },
      },
      responses: {
        '200': {
          description: 'logged in',
          content: { 'application/json': { schema: outputRef(WhoAmISchema) } },
        },
        '401': { description: 'unknown token' },
      },
    },
    delete: { summary: 'log out', responses: { '204': { description: 'logged out' } } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'miniweb',
      version,
      description:
        'The web API of a minimega mesh. Authenticate with `Authorization: Bearer TOKEN`; roles: admin (everything), viewer (read only).',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: components(),
    },
    security: [{ bearer: [] }],
    paths,
  };
}
