// Infrastructure layer tests: the clients use adaptive retry and reach whatever endpoint the SDK's standard variables name.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeDeliveryStreamCommand } from "@aws-sdk/client-firehose";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { GetConfigurationSetCommand } from "@aws-sdk/client-sesv2";
import { GetResourcesCommand } from "@aws-sdk/client-resource-groups-tagging-api";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, createSqsClient, sdkClientConfig } from "../../shared/aws-clients";
import { createTaggingClient } from "../../shared/tagging-client";
import { isAwsError } from "../../shared/errors";

describe("sdkClientConfig", () => {
  it("uses the SDK's adaptive retry mode with 8 attempts unless told otherwise", () => {
    expect(sdkClientConfig()).toEqual({ retryMode: "adaptive", maxAttempts: 8 });
    expect(sdkClientConfig({ region: "eu-west-1", maxAttempts: 3 })).toEqual({
      region: "eu-west-1",
      retryMode: "adaptive",
      maxAttempts: 3,
    });
  });
});

describe("createAwsClients against the endpoint variables", () => {
  const seen: { host: string; path: string; target: string }[] = [];
  let server: Server;
  const saved = { ...process.env };

  /** Answers every protocol with its "not found" error, so no retry happens. */
  function answer(request: IncomingMessage, body: string): { status: number; type: string; text: string } {
    if (request.url?.startsWith("/v2/email/")) {
      return {
        status: 404,
        type: "application/json",
        text: '{"message":"Configuration set <x> does not exist."}',
      };
    }
    if (request.headers["x-amz-target"] === "ResourceGroupsTaggingAPI_20170126.GetResources") {
      return {
        status: 400,
        type: "application/x-amz-json-1.1",
        text: '{"__type":"InvalidParameterException","Message":"ResourcesPerPage must be 1 to 100."}',
      };
    }
    if (request.headers["x-amz-target"] === "AmazonSQS.SendMessageBatch") {
      // Acknowledges every entry with the MD5 of another body: the SDK must notice.
      const { Entries } = JSON.parse(body) as { Entries: { Id: string }[] };
      return {
        status: 200,
        type: "application/x-amz-json-1.0",
        text: JSON.stringify({
          Successful: Entries.map(({ Id }) => ({
            Id,
            MessageId: `m-${Id}`,
            MD5OfMessageBody: "00000000000000000000000000000000",
          })),
          Failed: [],
        }),
      };
    }
    if (body.includes("Action=GetRole")) {
      return {
        status: 404,
        type: "text/xml",
        text: "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name r cannot be found.</Message></Error><RequestId>1</RequestId></ErrorResponse>",
      };
    }
    return {
      status: 400,
      type: "application/x-amz-json-1.1",
      text: '{"__type":"ResourceNotFoundException","message":"Firehose s not found."}',
    };
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        seen.push({
          host: request.headers.host ?? "",
          path: request.url ?? "",
          target: String(request.headers["x-amz-target"] ?? ""),
        });
        const { status, type, text } = answer(request, body);
        response.writeHead(status, {
          "content-type": type,
          ...(status === 404 && type === "application/json"
            ? { "x-amzn-errortype": "NotFoundException" }
            : {}),
        });
        response.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends each service's calls to its AWS_ENDPOINT_URL_<SERVICE> and maps the errors to their SDK names", async () => {
    // Prepare
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9", // must lose to the service-specific variables
      AWS_ENDPOINT_URL_SESV2: url,
      AWS_ENDPOINT_URL_IAM: url,
      AWS_ENDPOINT_URL_FIREHOSE: url,
    });
    const clients = createAwsClients({ region: "eu-west-1", maxAttempts: 1 });

    // Act
    const errors = await Promise.all([
      clients.sesv2
        .send(new GetConfigurationSetCommand({ ConfigurationSetName: "x" }))
        .catch((err: unknown) => err),
      clients.iam.send(new GetRoleCommand({ RoleName: "r" })).catch((err: unknown) => err),
      clients.firehose
        .send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: "s" }))
        .catch((err: unknown) => err),
    ]);

    // Assess
    expect(seen.map((request) => request.host)).toEqual([url.slice(7), url.slice(7), url.slice(7)]);
    expect(seen.map((request) => request.path)).toContain("/v2/email/configuration-sets/x");
    expect(seen.map((request) => request.target)).toContain("Firehose_20150804.DescribeDeliveryStream");
    expect(isAwsError(errors[0], "NotFoundException")).toBe(true);
    expect(isAwsError(errors[1], "NoSuchEntityException")).toBe(true);
    expect(isAwsError(errors[2], "ResourceNotFoundException")).toBe(true);
  });

  it("sends the backfill's tagging calls to AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API, with adaptive retry", async () => {
    // Prepare
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API = url;
    seen.length = 0;
    const tagging = createTaggingClient({ region: "eu-west-1", maxAttempts: 1 });

    // Act
    const error = await tagging
      .send(new GetResourcesCommand({ ResourcesPerPage: 500 }))
      .catch((err: unknown) => err);

    // Assess
    expect(seen).toEqual([
      { host: url.slice(7), path: "/", target: "ResourceGroupsTaggingAPI_20170126.GetResources" },
    ]);
    expect(isAwsError(error, "InvalidParameterException")).toBe(true);
    expect(await tagging.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
  });

  it("sends the reconcile queue's calls to AWS_ENDPOINT_URL_SQS whatever host the QueueUrl names, and checks body MD5s", async () => {
    // Prepare
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ENDPOINT_URL_SQS = url;
    seen.length = 0;
    const sqs = createSqsClient({ region: "eu-west-1", maxAttempts: 1 });

    // Act
    const error = await sqs
      .send(
        new SendMessageBatchCommand({
          QueueUrl: "https://sqs.eu-west-1.amazonaws.com/111122223333/autowire-ReconcileQueue-X1.fifo",
          Entries: [
            { Id: "marketing", MessageBody: "{}", MessageGroupId: "marketing", MessageDeduplicationId: "d" },
          ],
        }),
      )
      .catch((err: unknown) => err);

    // Assess
    expect(seen).toEqual([{ host: url.slice(7), path: "/", target: "AmazonSQS.SendMessageBatch" }]);
    expect(String(error)).toContain("Invalid MD5 checksum on messages: m-marketing");
    expect(await sqs.config.retryStrategy()).toMatchObject({ mode: "adaptive" });
  });
});
