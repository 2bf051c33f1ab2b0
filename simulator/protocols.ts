// Simulator layer (wire formats): the AWS error type and how each AWS protocol renders responses and errors.
import { randomUUID } from "node:crypto";

/** The wire protocols the simulated services speak (taken from the installed SDK clients' models). */
export type Protocol = "rest-json" | "aws-query" | "aws-json-1.1" | "aws-json-1.0";

/** An AWS service error: the code the SDK maps to a typed exception, its HTTP status and message. */
export class AwsError extends Error {
  override readonly name = "AwsError";
  /** AWS JSON 1.0 services compatible with their old Query protocol (SQS) also send this code in `x-amzn-query-error`. */
  queryCode: string | undefined;
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly fault: "Sender" | "Receiver" = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
  }
}

/** A fully rendered HTTP response. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export function requestId(): string {
  return randomUUID();
}

/** REST-JSON (SES v2, Lambda): status + JSON body; errors name their type in `x-amzn-ErrorType`. */
export function restJson(status: number, body: unknown, headers: Record<string, string> = {}): WireResponse {
  const text = body === undefined ? "" : JSON.stringify(body);
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-requestid": requestId(), ...headers },
    body: text,
  };
}

/** JSON 1.1 (Firehose): always 200 on success; errors carry `__type` in the body. */
export function json11(body: unknown): WireResponse {
  return {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId() },
    body: JSON.stringify(body),
  };
}

/** JSON 1.0 (SQS): always 200 on success. */
export function json10(body: unknown): WireResponse {
  return {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestId() },
    body: JSON.stringify(body),
  };
}

/** `namespace`: the XML namespace (Query) or the shape namespace of `__type` (JSON 1.0). */
export function renderError(protocol: Protocol, err: AwsError, namespace = ""): WireResponse {
  const id = requestId();
  switch (protocol) {
    case "rest-json":
      return {
        status: err.status,
        headers: { "content-type": "application/json", "x-amzn-requestid": id, "x-amzn-errortype": err.code },
        body: JSON.stringify({ message: err.message }),
      };
    case "aws-json-1.1":
      return {
        status: err.status,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": id },
        body: JSON.stringify({ __type: err.code, message: err.message }),
      };
    case "aws-json-1.0":
      return {
        status: err.status,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-requestid": id,
          "x-amzn-query-error": `${err.queryCode ?? err.code};${err.fault}`,
        },
        body: JSON.stringify({ __type: `${namespace}#${err.code}`, message: err.message }),
      };
    case "aws-query":
      return {
        status: err.status,
        headers: { "content-type": "text/xml", "x-amzn-requestid": id },
        body:
          `<ErrorResponse xmlns="${namespace}"><Error><Type>${err.fault}</Type><Code>${escapeXml(err.code)}</Code>` +
          `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
      };
  }
}

/** Query protocol success: `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…` */
export function queryXml(operation: string, xmlNamespace: string, result: string): WireResponse {
  const id = requestId();
  const inner = result === "" ? "" : `<${operation}Result>${result}</${operation}Result>`;
  return {
    status: 200,
    headers: { "content-type": "text/xml", "x-amzn-requestid": id },
    body:
      `<${operation}Response xmlns="${xmlNamespace}">${inner}` +
      `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `<Tag>value</Tag>`, escaped; omitted when the value is undefined. */
export function el(tag: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

/** A Query-protocol list: `<Tag><member>…</member>…</Tag>`. */
export function members(tag: string, items: readonly string[]): string {
  return `<${tag}>${items.map((item) => `<member>${item}</member>`).join("")}</${tag}>`;
}

/** Epoch seconds, the timestamp format of AWS JSON protocols. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** ISO 8601 with milliseconds dropped, as IAM writes timestamps in XML. */
export function iso8601(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
