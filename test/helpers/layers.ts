import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { LAYER_RULES, LAYERS, type LayerRule } from '../../src/layers.js';

/**
 * The layer checker behind test/layers.test.ts: finds every import of every module under `<root>/src` with the
 * TypeScript parser (import and export-from declarations, `import type`, `import x = require()`, `import()` and
 * `require()` calls, `typeof import()` types) and judges each against src/layers.ts.
 */
export type Target = { kind: 'module'; path: string } | { kind: 'package'; name: string };

export interface ImportRef {
  /** Importing module, relative to the root (`src/trades/x.ts`). */
  file: string;
  line: number;
  specifier: string;
  /** What it names: a module path relative to the root, a package, or undefined for a computed `import(expr)`. */
  target: Target | undefined;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

const MODULE_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Every module under `<root>/src`, relative to the root, sorted. */
export function listModules(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (MODULE_EXT.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk('src');
  return out.sort();
}

function targetOf(file: string, specifier: string): Target {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const resolved = specifier.startsWith('/') ? specifier : path.posix.join(path.posix.dirname(file), specifier);
    return { kind: 'module', path: path.posix.normalize(resolved) };
  }
  const parts = specifier.split('/');
  return { kind: 'package', name: specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string) };
}

/** The imports of one module (`file` relative to `root`). */
export function importsOf(root: string, file: string): ImportRef[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const kind = /\.(js|mjs|cjs)$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node, spec: ts.Node | undefined) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    if (spec && ts.isStringLiteralLike(spec)) refs.push({ file, line, specifier: spec.text, target: targetOf(file, spec.text) });
    else refs.push({ file, line, specifier: spec ? spec.getText(source) : '?', target: undefined });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node, node.moduleReference.expression);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require' && node.arguments.length === 1;
      if (isImport || isRequire) add(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

const under = (p: string, prefixes: readonly string[]) => prefixes.some((x) => p.startsWith(x));

function matches(target: Target, entry: string): boolean {
  if (entry.startsWith('src/')) return target.kind === 'module' && target.path.startsWith(entry);
  return target.kind === 'package' && target.name === entry;
}

/** Whether `rule` forbids this import. */
export function breaks(rule: LayerRule, ref: ImportRef): boolean {
  if (!under(ref.file, rule.from) || under(ref.file, rule.except ?? [])) return false;
  const target = ref.target;
  if (!target) return true;
  if (rule.only) return !(target.kind === 'module' && under(target.path, rule.only));
  return (rule.forbid ?? []).some((entry) => matches(target, entry));
}

/** Directories directly under src/ that belong to no layer. */
export function unassignedDirs(root: string, layers: Record<string, readonly string[]> = LAYERS): string[] {
  const known = new Set(Object.values(layers).flat());
  return fs
    .readdirSync(path.join(root, 'src'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !known.has(`src/${e.name}/`))
    .map((e) => `src/${e.name}/`)
    .sort();
}

export interface LayerCheck {
  modules: string[];
  imports: ImportRef[];
  violations: Violation[];
  unassigned: string[];
}

/** Check every module under `<root>/src` against the rules. */
export function checkLayers(root: string, rules: readonly LayerRule[] = LAYER_RULES): LayerCheck {
  const modules = listModules(root);
  const imports = modules.flatMap((m) => importsOf(root, m));
  const violations: Violation[] = [];
  for (const ref of imports) {
    const broken = rules.filter((rule) => breaks(rule, ref));
    if (!ref.target && broken.length > 0) {
      violations.push({
        file: ref.file,
        line: ref.line,
        specifier: ref.specifier,
        rule: 'a computed import() cannot be checked against the layer rules: name the module',
      });
      continue;
    }
    for (const rule of broken) violations.push({ file: ref.file, line: ref.line, specifier: ref.specifier, rule: rule.rule });
  }
  return { modules, imports, violations, unassigned: unassignedDirs(root) };
}

export function describe(v: Violation): string {
  return `${v.file}:${v.line} imports '${v.specifier}': ${v.rule}`;
}
