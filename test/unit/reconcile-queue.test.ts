// Test (adapter layer): the reconcile queue's message — what the event functions send, and how a body is read.
import { createHash } from "node:crypto";
import { InvalidReconcileMessageError } from "../../shared/errors";
import {
  deduplicationIdFor,
  parseReconcileRequest,
  reconcileMessageFor,
  type ReconcileRequest,
} from "../../shared/reconcile-queue";

const REQUEST: ReconcileRequest = {
  configurationSet: "marketing",
  account: "111122223333",
  region: "us-east-1",
  eventTime: "2026-12-02T07:00:00.000Z",
  trigger: "TagResource",
};
const EVENT_ID = "6a7e8feb-b491-4cf7-a9f1-bf3703467718";

describe("reconcileMessageFor", () => {
  it("puts the set in its own message group, with sha256(eventId:set) as deduplication ID and a JSON body", () => {
    // Act
    const message = reconcileMessageFor(REQUEST, EVENT_ID);

    // Assess
    expect(message).toEqual({
      Id: "marketing",
      MessageGroupId: "marketing",
      MessageDeduplicationId: createHash("sha256").update(`${EVENT_ID}:marketing`).digest("hex"),
      MessageBody: JSON.stringify({
        configurationSet: "marketing",
        account: "111122223333",
        region: "us-east-1",
        eventTime: "2026-12-02T07:00:00.000Z",
        trigger: "TagResource",
      }),
    });
    expect(message.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("gives the same event and set the same deduplication ID, and any other pair another one", () => {
    expect(deduplicationIdFor(EVENT_ID, "marketing")).toBe(deduplicationIdFor(EVENT_ID, "marketing"));
    expect(deduplicationIdFor(EVENT_ID, "marketing")).not.toBe(deduplicationIdFor(EVENT_ID, "billing"));
    expect(deduplicationIdFor("other-event", "marketing")).not.toBe(
      deduplicationIdFor(EVENT_ID, "marketing"),
    );
  });

  it("writes removeOnly only when true, and no eventTime when there is none", () => {
    const untimed: ReconcileRequest = { ...REQUEST };
    delete untimed.eventTime;
    expect(JSON.parse(reconcileMessageFor({ ...untimed, removeOnly: true }, EVENT_ID).MessageBody)).toEqual({
      configurationSet: "marketing",
      account: "111122223333",
      region: "us-east-1",
      removeOnly: true,
      trigger: "TagResource",
    });
    expect(reconcileMessageFor({ ...REQUEST, removeOnly: false }, EVENT_ID).MessageBody).not.toContain(
      "removeOnly",
    );
  });

  it("round-trips through parseReconcileRequest", () => {
    const request = { ...REQUEST, removeOnly: true, trigger: "Tag Change on Resource" };
    expect(parseReconcileRequest(reconcileMessageFor(request, EVENT_ID).MessageBody)).toEqual(request);
  });
});

describe("parseReconcileRequest", () => {
  const body = (fields: Record<string, unknown>) => JSON.stringify({ ...REQUEST, ...fields });

  it("ignores keys it does not know, so a newer sender can add some", () => {
    expect(parseReconcileRequest(body({ traceId: "abc" }))).toEqual(REQUEST);
  });

  it.each([
    ["not JSON", "{configurationSet: marketing", /the body is not JSON/],
    ["a JSON array", "[]", /the body is an array, not an object/],
    ["JSON null", "null", /the body is null, not an object/],
    [
      "no configurationSet",
      body({ configurationSet: undefined }),
      /"configurationSet" must be a configuration set name, got nothing/,
    ],
    [
      "a set name SES cannot have",
      body({ configurationSet: "has space" }),
      /"configurationSet" must be a configuration set name, got "has space"/,
    ],
    [
      "a numeric account",
      body({ account: 111122223333 }),
      /"account" must be a 12-digit account ID, got a number/,
    ],
    ["a short account", body({ account: "1111" }), /"account" must be a 12-digit account ID, got "1111"/],
    [
      "a region that is not one",
      body({ region: "US East" }),
      /"region" must be a region name, got "US East"/,
    ],
    ["no trigger", body({ trigger: undefined }), /"trigger" must be 1-128 printable characters, got nothing/],
    [
      "an eventTime that is not a date",
      body({ eventTime: "yesterday" }),
      /"eventTime" must be an ISO 8601 date, got "yesterday"/,
    ],
    [
      "a numeric eventTime",
      body({ eventTime: 1764658800000 }),
      /"eventTime" must be an ISO 8601 date, got 1764658800000/,
    ],
    ["a string removeOnly", body({ removeOnly: "true" }), /"removeOnly" must be true or false, got "true"/],
  ])("refuses %s, naming the field and what is accepted", (_case, text, reason) => {
    // Act
    const read = () => parseReconcileRequest(text);

    // Assess
    expect(read).toThrow(InvalidReconcileMessageError);
    expect(read).toThrow(reason);
    expect(read).toThrow(/Accepted: a JSON object with "configurationSet" \(1-64 letters, digits, _ or -\)/);
  });
  it("states the field, what it got and everything accepted in one message", () => {
    expect(() => parseReconcileRequest(body({ account: true }))).toThrow(
      new InvalidReconcileMessageError(
        'The reconcile message is not valid: "account" must be a 12-digit account ID, got a boolean. Accepted: a ' +
          'JSON object with "configurationSet" (1-64 letters, digits, _ or -), "account" (12 digits), "region" ' +
          '(e.g. us-east-1), "trigger" (text), and optionally "eventTime" (an ISO 8601 date) and "removeOnly" ' +
          "(true or false).",
      ),
    );
    expect(() => parseReconcileRequest('"marketing"')).toThrow(/the body is a string, not an object/);
    expect(() => parseReconcileRequest(body({ region: null }))).toThrow(
      /"region" must be a region name, got null/,
    );
    expect(() => parseReconcileRequest(body({ trigger: ["TagResource"] }))).toThrow(
      /"trigger" must be 1-128 printable characters, got an array/,
    );
  });

  it("reads a message without eventTime, and removeOnly false as a normal reconcile", () => {
    const untimed: Record<string, unknown> = { ...REQUEST };
    delete untimed.eventTime;
    expect(parseReconcileRequest(JSON.stringify(untimed))).toStrictEqual({
      configurationSet: "marketing",
      account: "111122223333",
      region: "us-east-1",
      trigger: "TagResource",
    });
    expect(parseReconcileRequest(body({ removeOnly: false }))).toStrictEqual(REQUEST);
    expect(parseReconcileRequest(body({ removeOnly: true }))).toStrictEqual({ ...REQUEST, removeOnly: true });
  });

  it.each([
    ["a 13-digit account", { account: "1111222233334" }, "account"],
    ["an account with a prefix", { account: "x111122223333" }, "account"],
    ["a region with a prefix", { region: "xus-east-1" }, "region"],
    ["a region without its number", { region: "us-east-" }, "region"],
    ["a region with a suffix", { region: "us-east-1a" }, "region"],
    ["a one-letter region prefix", { region: "u-east-1" }, "region"],
    ["an empty trigger", { trigger: "" }, "trigger"],
    ["a trigger of 129 characters", { trigger: "T".repeat(129) }, "trigger"],
    ["a trigger with a line break", { trigger: "TagResource\nforged log line" }, "trigger"],
    ["a trigger with a non-ASCII character", { trigger: "TagRéssource" }, "trigger"],
    ["a configuration set name with a prefix", { configurationSet: " marketing" }, "configurationSet"],
  ])("refuses %s", (_case, fields, key) => {
    expect(() => parseReconcileRequest(body(fields))).toThrow(
      new RegExp(`^The reconcile message is not valid: "${key}" must be `),
    );
  });

  it.each([
    ["every AWS partition's region form", { region: "us-gov-west-1" }],
    ["a region numbered past 9", { region: "ap-southeast-10" }],
    ["a trigger of 128 printable characters", { trigger: "~ ".repeat(64) }],
    ["a one-character trigger", { trigger: "T" }],
    ["an eventTime with an offset", { eventTime: "2026-12-02T08:00:00+01:00" }],
  ])("accepts %s", (_case, fields) => {
    expect(parseReconcileRequest(body(fields))).toStrictEqual({ ...REQUEST, ...fields });
  });

  it("refuses an eventTime given as a number even when it reads as a year", () => {
    expect(() => parseReconcileRequest(body({ eventTime: 2026 }))).toThrow(
      /"eventTime" must be an ISO 8601 date, got 2026/,
    );
  });
});
