import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify's own schema compilers (ajv for input, fast-json-stringify for output), loaded and run on a route's
 * first request instead of at start-up. Compiling every route's schemas took about 160 ms of a ~500 ms start on two
 * cores, and loading the compilers (ajv is the largest package the server uses) about 60 ms more; a container's
 * health check needs neither. `serve` loads them just after it listens (`loadSchemaCompilers`, see
 * src/web/warm-up.ts), so a page's first request finds them ready. Behaviour is otherwise the same: the same
 * compilers, resolved from fastify's own dependencies so their versions always match it.
 */
type Compile = (route: unknown) => (data: unknown) => unknown;
type Factory = (externalSchemas: unknown, options: unknown) => Compile;
type Selector = () => Factory;

let compilers: { validator: Selector; serializer: Selector } | undefined;

/** Whether the compilers are loaded in this process. */
export function schemaCompilersLoaded(): boolean {
  return compilers !== undefined;
}

/** Loads both compilers (once per process; synchronous). */
export function loadSchemaCompilers(): { validator: Selector; serializer: Selector } {
  if (!compilers) {
    const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
    compilers = {
      validator: fromFastify('@fastify/ajv-compiler') as Selector,
      serializer: fromFastify('@fastify/fast-json-stringify-compiler') as Selector,
    };
  }
  return compilers;
}

function lazy(which: 'validator' | 'serializer', copyErrors: boolean): Factory {
  let build: Factory | undefined;
  return (externalSchemas, options) => {
    let compile: Compile | undefined;
    return (route) => {
      let fn: ((data: unknown) => unknown) & { errors?: unknown };
      // Fastify reads `errors` from the validator after a failed call.
      const run = (data: unknown) => {
        if (!fn) {
          build ??= loadSchemaCompilers()[which]();
          compile ??= build(externalSchemas, options);
          fn = compile(route);
        }
        const result = fn(data);
        if (copyErrors) (run as { errors?: unknown }).errors = fn.errors;
        return result;
      };
      return run;
    };
  };
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

// Fastify's types describe ajv's validate functions in full; the wrappers behave as those functions do for fastify.
export const lazyCompilers = {
  buildValidator: lazy('validator', true),
  buildSerializer: lazy('serializer', false),
} as unknown as CompilersFactory;
