import type { ErrorObject } from 'ajv';
import type { FieldError } from '../issues.js';

/** `/split/1/weight` -> `split[1].weight`; the document root is `(document)`. */
export function pointerToField(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

function join(base: string, child: string): string {
  return base === '' ? child : `${base}.${child}`;
}

/** Turns ajv's errors into one message per field, each naming the field it is about. */
export function toFieldErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  if (!errors) return [];
  const out: FieldError[] = [];
  const seen = new Set<string>();
  // Union branches report every failing alternative; the `anyOf` summary says it better.
  const unionPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && [...unionPaths].some((p) => e.instancePath.startsWith(p) && e.schemaPath.includes('anyOf'))) {
      continue;
    }
    let field = pointerToField(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      field = join(field, String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'is not a known field';
    } else if (e.keyword === 'required') {
      field = join(field, String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else if (e.keyword === 'anyOf') {
      message = 'does not match any allowed form';
    } else if (e.keyword === 'pattern' && e.parentSchema && typeof e.parentSchema === 'object' && 'description' in e.parentSchema) {
      message = `must be ${String((e.parentSchema as { description: unknown }).description)}`;
    } else if (e.keyword === 'propertyNames') {
      message = `has an invalid name ${JSON.stringify((e.params as { propertyName?: string }).propertyName ?? '')}`;
    }
    const f = field === '' ? '(document)' : field;
    const dedupe = `${f}\u0000${message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    out.push({ field: f, message });
  }
  return out;
}

/**
 * Why a text is not JSON, without quoting it. V8 repeats up to ten characters of the input
 * (`Unexpected token 'M', "MIIEvQIBAD"... is not valid JSON`), and the input may be a certificate's
 * private key: the reason travels on to the status document, the admin API's answer and the logs.
 */
export function jsonSyntaxReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/^Unexpected token /.test(message) && / is not valid JSON$/.test(message)) return 'unexpected token';
  return message.replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/gs, '"…"');
}
