// Test support: an EventBridge event-pattern matcher for exactly the pattern features template.yaml uses.
//
// No maintained npm package evaluates EventBridge patterns offline (the service's TestEventPattern API needs AWS),
// so this implements the documented semantics we rely on
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html):
// - a pattern is an object whose leaves are arrays of alternatives; every key must match (AND), any alternative
//   in an array may match (OR); nested objects match nested event fields;
// - a literal alternative (string, number, boolean, null) matches an equal value;
// - `{ "exists": false }` matches when the field is absent, `{ "exists": true }` when it is present;
// - `{ "prefix": "..." }` matches a string starting with it;
// - when the event's field is an array, the alternative matches if it matches any element.
// Any other operator throws, so a template change that needs more is noticed instead of silently mismatched.

export type Pattern = { [key: string]: Pattern | readonly unknown[] };

function matchesAlternative(alternative: unknown, value: unknown, present: boolean): boolean {
  if (alternative !== null && typeof alternative === "object") {
    const operators = Object.keys(alternative);
    const [operator] = operators;
    const operand = (alternative as Record<string, unknown>)[operator ?? ""];
    if (operators.length !== 1)
      throw new Error(`unsupported pattern operator ${JSON.stringify(alternative)}`);
    if (operator === "exists") return operand === present;
    if (!present) return false;
    const values = Array.isArray(value) ? value : [value];
    if (operator === "prefix" && typeof operand === "string") {
      return values.some((item) => typeof item === "string" && item.startsWith(operand));
    }
    throw new Error(`unsupported pattern operator ${JSON.stringify(alternative)}`);
  }
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((item) => item === alternative);
}

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  const record = (typeof event === "object" && event !== null ? event : {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const present = Object.prototype.hasOwnProperty.call(record, key) && record[key] !== undefined;
    if (Array.isArray(expected)) {
      if (expected.length === 0) throw new Error(`empty alternatives for ${key}`);
      return expected.some((alternative) => matchesAlternative(alternative, record[key], present));
    }
    return present && matchesPattern(expected as Pattern, record[key]);
  });
}
