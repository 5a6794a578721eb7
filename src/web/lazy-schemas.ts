import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify's own schema compilers (ajv for input, fast-json-stringify for output), compiled on a route's first
 * request instead of all at start-up. Compiling every route's schemas took about 160 ms of a ~500 ms start on two
 * cores; a container's health check and the first page need only a few of them. Behaviour is otherwise the
 * same: the same compilers, resolved from fastify's own dependencies so their versions always match it.
 */
type Compile = (route: unknown) => (data: unknown) => unknown;
type Factory = (externalSchemas: unknown, options: unknown) => Compile;
type Selector = () => Factory;

const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ValidatorSelector = fromFastify('@fastify/ajv-compiler') as Selector;
const SerializerSelector = fromFastify('@fastify/fast-json-stringify-compiler') as Selector;

function lazy(selector: Selector, copyErrors: boolean): Factory {
  const build = selector();
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      let fn: ((data: unknown) => unknown) & { errors?: unknown };
      // Fastify reads `errors` from the validator after a failed call.
      const run = (data: unknown) => {
        fn ??= compile(route);
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
  buildValidator: lazy(ValidatorSelector, true),
  buildSerializer: lazy(SerializerSelector, false),
} as unknown as CompilersFactory;
