// Core layer tests: the opt-in table of docs/architecture.md — tag value and mode to the desired state, or a clear error.
import { loadConfig, type Environment } from "../../shared/config";
import { desiredStateFor } from "../../shared/desired-state";
import { InvalidTagValueError, StreamNotUsableError } from "../../shared/errors";

const DEFAULT_STREAM = "arn:aws:firehose:eu-west-1:111122223333:deliverystream/default-events";
const where = { region: "eu-west-1", accountId: "111122223333" };

function stateFor(value: string | undefined, env: Environment = {}) {
  const config = loadConfig({ DEFAULT_DELIVERY_STREAM_ARN: DEFAULT_STREAM, ...env });
  const tags =
    value === undefined ? [{ Key: "team", Value: "mail" }] : [{ Key: config.optInTagKey, Value: value }];
  return desiredStateFor(tags, config, where);
}

describe("desiredStateFor", () => {
  it.each(["enabled", "ENABLED", "true", "On", "yes", " yes "])(
    "publishes to the default stream for %j",
    (value) => {
      expect(stateFor(value)).toMatchObject({ optedIn: true, deliveryStreamArn: DEFAULT_STREAM });
    },
  );

  it.each(["disabled", "False", "OFF", "no"])("opts out for %j", (value) => {
    expect(stateFor(value)).toMatchObject({ optedIn: false });
  });

  it("publishes to a stream named by the tag, in the set's account and region", () => {
    expect(stateFor("my.stream_1-a")).toMatchObject({
      optedIn: true,
      deliveryStreamArn: "arn:aws:firehose:eu-west-1:111122223333:deliverystream/my.stream_1-a",
    });
  });

  it("takes a stream ARN as given (its region and account are checked when it is resolved)", () => {
    const arn = "arn:aws:firehose:us-east-1:444455556666:deliverystream/elsewhere";
    expect(stateFor(arn)).toMatchObject({ optedIn: true, deliveryStreamArn: arn });
  });

  it("opts an untagged set out in mode tag and in in mode all", () => {
    expect(stateFor(undefined)).toEqual({ optedIn: false, reason: 'no "ses-firehose" tag' });
    expect(stateFor(undefined, { OPT_IN_MODE: "all" })).toMatchObject({
      optedIn: true,
      deliveryStreamArn: DEFAULT_STREAM,
    });
  });

  it("lets an explicit opt-out win over mode all", () => {
    expect(stateFor("disabled", { OPT_IN_MODE: "all" })).toMatchObject({ optedIn: false });
  });

  it("reads the configured tag key only", () => {
    const config = loadConfig({ OPT_IN_TAG_KEY: "firehose", DEFAULT_DELIVERY_STREAM_ARN: DEFAULT_STREAM });
    expect(desiredStateFor([{ Key: "ses-firehose", Value: "enabled" }], config, where).optedIn).toBe(false);
    expect(desiredStateFor([{ Key: "firehose", Value: "enabled" }], config, where).optedIn).toBe(true);
  });

  it.each([
    "",
    "maybe so",
    "enabled!",
    "s".repeat(65),
    "arn:aws:firehose:eu-west-1:111122223333:stream/x",
    "arn:aws:sns:eu-west-1:111122223333:topic",
  ])("rejects %j naming the tag, the value and what is accepted", (value) => {
    // Act
    const act = () => stateFor(value);

    // Assess
    expect(act).toThrow(InvalidTagValueError);
    expect(act).toThrow(`Tag ses-firehose="${value}" is not valid: accepted values are enabled/true/on/yes`);
    expect(act).toThrow(/disabled\/false\/off\/no.*delivery stream name.*delivery stream ARN/);
  });

  it("rejects a tag without a value the same way", () => {
    const config = loadConfig({});
    expect(() => desiredStateFor([{ Key: "ses-firehose" }], config, where)).toThrow(
      'Tag ses-firehose="" is not valid',
    );
  });

  it("fails clearly when the default stream is asked for but not configured", () => {
    const config = loadConfig({});
    const enabled = () => desiredStateFor([{ Key: "ses-firehose", Value: "enabled" }], config, where);
    const all = () => desiredStateFor([], loadConfig({ OPT_IN_MODE: "all" }), where);
    expect(enabled).toThrow(StreamNotUsableError);
    expect(enabled).toThrow(
      /^Tag ses-firehose=enabled asks for the default delivery stream, but DEFAULT_DELIVERY_STREAM_ARN is not configured/,
    );
    expect(all).toThrow(/^OPT_IN_MODE=all \(no "ses-firehose" tag\) asks for the default delivery stream/);
  });
});
