import { createReadStream } from 'node:fs';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import {
  MAX_BASELINE_TEXT,
  severityOfXccdf,
  XCCDF_RESULTS,
  type TBaselineRuleResult,
} from '../../domain/baseline-checks.js';

/**
 * Reads what a baseline check needs from an OpenSCAP result data stream (ARF, `oscap xccdf eval --results-arf`):
 * the XCCDF rule results, each rule's title, severity and shell remediation from the benchmark, and as evidence
 * the OVAL items collected by the tests that made a rule fail. Streamed: an ARF is ~8 MB.
 */

interface RuleText {
  title: string;
  severity: string | undefined;
  description: string;
  fix: string;
}

interface OvalDefinition {
  /** Tests and extended definitions that evaluated false. */
  falseTests: string[];
  falseExtends: string[];
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);
const squeeze = (s: string) =>
  s
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
const cap = (s: string) => (s.length > MAX_BASELINE_TEXT ? `${s.slice(0, MAX_BASELINE_TEXT - 1)}…` : s);

export async function readArfResults(file: string): Promise<TBaselineRuleResult[]> {
  const rules = new Map<string, RuleText>();
  const results: {
    idref: string;
    severity?: string;
    result: string;
    definition?: string;
    message: string;
  }[] = [];
  const definitions = new Map<string, OvalDefinition>();
  const testItems = new Map<string, string[]>();
  const items = new Map<string, string>();

  const parser = new SaxesParser({ xmlns: false });
  // The open elements' local names, and what is being collected.
  const stack: string[] = [];
  let rule: (RuleText & { id: string }) | null = null;
  let capture: {
    into: 'title' | 'description' | 'fix' | 'result' | 'message' | 'field';
    depth: number;
  } | null = null;
  let text = '';
  let ruleResult: (typeof results)[number] | null = null;
  let definition: OvalDefinition | null = null;
  let test: string | null = null;
  let item: { id: string; kind: string; depth: number; fields: string[] } | null = null;
  let field = '';
  let inSystemData = false;

  parser.on('opentag', (tag: SaxesTagPlain) => {
    const name = local(tag.name);
    const attr = (a: string) => {
      const v = tag.attributes[a];
      return typeof v === 'string' ? v : undefined;
    };
    stack.push(name);
    const depth = stack.length;
    if (capture) {
      // Inline markup inside a captured text (xhtml in descriptions, <sub> in fixes).
      if (name === 'sub' && capture.into === 'fix') text += `$${attr('idref') ?? ''}`;
      return;
    }
    if (name === 'Rule' && attr('id')) {
      rule = { id: attr('id') ?? '', title: '', severity: attr('severity'), description: '', fix: '' };
    } else if (rule && name === 'title' && rule.title === '') capture = { into: 'title', depth };
    else if (rule && name === 'description' && rule.description === '')
      capture = { into: 'description', depth };
    else if (rule && name === 'fix' && attr('system') === 'urn:xccdf:fix:script:sh' && rule.fix === '')
      capture = { into: 'fix', depth };
    else if (name === 'rule-result') {
      ruleResult = { idref: attr('idref') ?? '', severity: attr('severity'), result: '', message: '' };
    } else if (ruleResult && name === 'result') capture = { into: 'result', depth };
    else if (ruleResult && name === 'message') capture = { into: 'message', depth };
    else if (ruleResult && name === 'check-content-ref') ruleResult.definition = attr('name');
    else if (name === 'definition' && attr('definition_id')) {
      definition = { falseTests: [], falseExtends: [] };
      definitions.set(attr('definition_id') ?? '', definition);
    } else if (definition && name === 'criterion' && attr('result') === 'false') {
      definition.falseTests.push(attr('test_ref') ?? '');
    } else if (definition && name === 'extend_definition' && attr('result') === 'false') {
      definition.falseExtends.push(attr('definition_ref') ?? '');
    } else if (name === 'test' && attr('test_id')) {
      test = attr('test_id') ?? null;
      if (test) testItems.set(test, []);
    } else if (test && name === 'tested_item') testItems.get(test)?.push(attr('item_id') ?? '');
    else if (name === 'system_data') inSystemData = true;
    else if (inSystemData && !item && attr('id'))
      item = { id: attr('id') ?? '', kind: name, depth, fields: [] };
    else if (item) {
      field = name;
      capture = { into: 'field', depth };
    }
  });

  parser.on('text', (t: string) => {
    if (capture) text += t;
  });
  parser.on('cdata', (t: string) => {
    if (capture) text += t;
  });

  parser.on('closetag', (tag: SaxesTagPlain) => {
    const name = local(tag.name);
    const depth = stack.length;
    stack.pop();
    if (capture) {
      if (depth !== capture.depth) return;
      const value = text;
      text = '';
      const into = capture.into;
      capture = null;
      if (into === 'field' && item) item.fields.push(`${field}=${value.trim()}`);
      else if (into === 'result' && ruleResult) ruleResult.result = value.trim();
      else if (into === 'message' && ruleResult)
        ruleResult.message += `${ruleResult.message ? '\n' : ''}${value.trim()}`;
      else if (rule && into !== 'field' && into !== 'result' && into !== 'message')
        rule[into] = squeeze(value);
      return;
    }
    if (name === 'Rule' && rule) {
      rules.set(rule.id, rule);
      rule = null;
    } else if (name === 'rule-result' && ruleResult) {
      results.push(ruleResult);
      ruleResult = null;
    } else if (name === 'definition') definition = null;
    else if (name === 'test') test = null;
    else if (name === 'system_data') inSystemData = false;
    else if (item && depth === item.depth) {
      items.set(item.id, `${item.kind} ${item.fields.join(' ')}`);
      item = null;
    }
  });

  let failure: Error | null = null;
  parser.on('error', (err: Error) => {
    failure ??= err;
  });
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    parser.write(chunk as string);
    if (failure) break;
  }
  if (failure) throw new Error(`unreadable OpenSCAP results ${file}: ${(failure as Error).message}`);
  parser.close();

  const evidence = (definitionId: string | undefined, seen = new Set<string>()): string[] => {
    if (!definitionId || seen.has(definitionId)) return [];
    seen.add(definitionId);
    const def = definitions.get(definitionId);
    if (!def) return [];
    const lines = def.falseTests.flatMap((t) => {
      const ids = testItems.get(t) ?? [];
      const found = ids.map((id) => items.get(id)).filter((s): s is string => s !== undefined);
      return found.length > 0 ? found : [`${t}: no matching item on the host`];
    });
    return [...lines, ...def.falseExtends.flatMap((d) => evidence(d, seen))];
  };

  return results
    .filter((r) => r.result !== 'notselected')
    .map((r) => {
      const text = rules.get(r.idref);
      const result = (XCCDF_RESULTS as readonly string[]).includes(r.result)
        ? (r.result as TBaselineRuleResult['result'])
        : 'unknown';
      const lines = result === 'fail' ? [...new Set(evidence(r.definition))] : [];
      if (r.message) lines.push(r.message);
      return {
        ruleId: r.idref,
        title: cap(text?.title || r.idref),
        severity: severityOfXccdf(r.severity ?? text?.severity),
        result,
        evidence: cap(lines.join('\n')),
        remediation: cap(text?.fix || text?.description || ''),
      };
    });
}
