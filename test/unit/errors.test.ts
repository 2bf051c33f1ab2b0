// Core layer tests: the named errors and the helpers that narrow unknown thrown values.
import { IAMServiceException, NoSuchEntityException } from "@aws-sdk/client-iam";
import {
  ConfigError,
  describeError,
  DestinationLimitError,
  ForeignRoleError,
  InvalidTagValueError,
  isAwsError,
  MalformedEventError,
  StreamNotUsableError,
} from "../../shared/errors";

describe("named errors", () => {
  it.each([
    [ConfigError, "ConfigError"],
    [InvalidTagValueError, "InvalidTagValueError"],
    [StreamNotUsableError, "StreamNotUsableError"],
    [MalformedEventError, "MalformedEventError"],
    [ForeignRoleError, "ForeignRoleError"],
    [DestinationLimitError, "DestinationLimitError"],
  ])("%p carries its name and message and is an Error", (Type, name) => {
    const err = new Type("what was wrong and what is accepted");
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(Type);
    expect(err.name).toBe(name);
    expect(err.message).toBe("what was wrong and what is accepted");
  });
});

describe("describeError", () => {
  it("keeps an Error's (or SDK exception's) name and message", () => {
    expect(describeError(new StreamNotUsableError("gone"))).toEqual({
      name: "StreamNotUsableError",
      message: "gone",
    });
    expect(describeError(new NoSuchEntityException({ message: "no role", $metadata: {} }))).toEqual({
      name: "NoSuchEntityException",
      message: "no role",
    });
  });

  it("reads error-like objects and anything else", () => {
    expect(describeError({ name: "Throttling", message: "Rate exceeded" })).toEqual({
      name: "Throttling",
      message: "Rate exceeded",
    });
    expect(describeError({ name: 42 })).toEqual({ name: "Error", message: "[object Object]" });
    expect(describeError("boom")).toEqual({ name: "Error", message: "boom" });
    expect(describeError(undefined)).toEqual({ name: "Error", message: "undefined" });
  });
});

describe("isAwsError", () => {
  it("matches an SDK exception by any of the given names", () => {
    const err = new IAMServiceException({
      name: "Throttling",
      $fault: "client",
      message: "Rate exceeded",
      $metadata: {},
    });
    expect(isAwsError(err, "Throttling")).toBe(true);
    expect(isAwsError(err, "NoSuchEntity", "Throttling")).toBe(true);
    expect(isAwsError(err, "NoSuchEntity")).toBe(false);
  });

  it("is false for values that are not errors", () => {
    expect(isAwsError(null, "Throttling")).toBe(false);
    expect(isAwsError("Throttling", "Throttling")).toBe(false);
    expect(isAwsError({}, "Throttling")).toBe(false);
  });
});
