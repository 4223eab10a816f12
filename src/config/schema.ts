// src/config/schema.ts — checks a parsed config document against CONFIG_SCHEMA
// (schema-definition.ts). The validator is the one scripts/build-schema.mjs precompiled at build
// time (dist/src/config/schema-validator.cjs: no schema compilation when the CLI starts) when its
// hash says it was built from this very schema, else one ajv compiles now (a build that skipped
// the step: slower, never stale). Durations (xvsDuration) are checked here rather than by a custom
// ajv keyword, so that the precompiled code holds standard keywords only. Produces raw ajv-style
// errors (verbose: data and parentSchema set) for schema-messages.ts. Loaded on the first
// document; config-loading thread (the main thread, or a reload's worker thread).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

import type { ErrorObject, ValidateFunction } from 'ajv';

import { parseDuration } from './duration.js';
import { AJV_OPTIONS, CONFIG_SCHEMA, XVS_KEYWORDS, type SchemaNode } from './schema-definition.js';

const require = createRequire(import.meta.url);

/** What the precompiled validator was built from (schema, options, keywords, ajv); it is used only when this matches. */
export function schemaHash(): string {
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  return createHash('sha256').update(JSON.stringify({ CONFIG_SCHEMA, AJV_OPTIONS, XVS_KEYWORDS, ajvVersion })).digest('hex');
}

let validator: ValidateFunction | undefined;
let origin: 'precompiled' | 'compiled at run time' | undefined;

function loadValidator(): ValidateFunction {
  if (validator) return validator;
  try {
    const built = require('./schema-validator.cjs') as ValidateFunction & { schemaHash?: string };
    if (built.schemaHash === schemaHash()) {
      origin = 'precompiled';
      return (validator = built);
    }
  } catch {
    // not built (tsc alone): compile below
  }
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv(AJV_OPTIONS);
  for (const k of XVS_KEYWORDS) ajv.addKeyword({ ...k });
  origin = 'compiled at run time';
  return (validator = ajv.compile(CONFIG_SCHEMA));
}

/** Where the validator in use came from (the tests check that the build's is used). */
export function validatorOrigin(): typeof origin {
  loadValidator();
  return origin;
}

const pointerSegment = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every value at an xvsDuration node that is not a duration greater than 0 and at most its maximum. */
function durationErrors(node: SchemaNode, value: unknown, pointer: string, out: ErrorObject[]): void {
  if (node.xvsDuration !== undefined) {
    const seconds = parseDuration(value) ?? 0;
    if (!(seconds > 0 && seconds <= node.xvsDuration))
      out.push({ keyword: 'xvsDuration', instancePath: pointer, schemaPath: '', params: {}, schema: node.xvsDuration, parentSchema: node, data: value });
    return;
  }
  if (Array.isArray(value)) {
    if (node.items) value.forEach((v, i) => durationErrors(node.items!, v, `${pointer}/${i}`, out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    const child = node.properties?.[key] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
    if (child) durationErrors(child, v, `${pointer}/${pointerSegment(key)}`, out);
  }
}

/** Every schema violation in `doc` (raw ajv errors, verbose: data and parentSchema are set). */
export function schemaErrors(doc: unknown): ErrorObject[] {
  const validate = loadValidator();
  const out = validate(doc) ? [] : [...(validate.errors ?? [])];
  durationErrors(CONFIG_SCHEMA, doc, '', out);
  return out;
}
