// Test (build layer): `npm run package:org` after `npm run build` — the organization artifact of docs/org-rollout.md.
// A StackSet with service-managed permissions deploys dist/org/template.json to every account and region, so it
// must be plain CloudFormation (no transform), take each function's code from the bucket of the stack's region, carry
// nothing of one partition, account or region, be template.yaml transformed by the SAM translator and nothing else,
// fit StackSets' inline template limit, and pass cfn-lint in each partition; each zip it names must run.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isVirtualHostableS3Bucket } from "@aws-sdk/core/client";
import fc from "fast-check";
import { loadTemplate, ROOT, serverlessFunctions, type CfnResource } from "../support/cfn-template";

interface PlainTemplate {
  Transform?: unknown;
  Parameters: Record<string, { AllowedPattern?: string; Default?: string } & Record<string, unknown>>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
  [section: string]: unknown;
}

/** StackSets' limit on an inline template body (CreateStackSet API reference, TemplateBody: 51,200 bytes). */
const TEMPLATE_BODY_LIMIT_BYTES = 51_200;
const ORG = path.join(ROOT, "dist", "org");
const PACKAGER = path.join(ROOT, "scripts", "package-org.mjs");
const CODE_PARAMETERS = ["CodeBucketPrefix", "CodeKeyPrefix"];

/** The functions of template.yaml (derived, so a function added later is covered), with their bundle folder. */
const FUNCTIONS = serverlessFunctions(loadTemplate()).map(([logicalId, fn]) => {
  const entryPoint = (fn.Metadata as { BuildProperties: { EntryPoints: string[] } }).BuildProperties
    .EntryPoints[0]!;
  return { logicalId, folder: path.basename(path.dirname(entryPoint)) };
});

function runPackager(args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [PACKAGER, ...args], { cwd: ROOT, env, encoding: "utf8" });
}

/** template.yaml transformed directly by the SAM translator; the translator cannot read a local CodeUri (`.`). */
function directTransform(): PlainTemplate {
  const sam = loadTemplate();
  sam.Globals.Function.CodeUri = "s3://direct-transform/code.zip";
  const output = execFileSync("python3", [path.join(ROOT, "scripts", "sam-translate.py")], {
    input: JSON.stringify(sam),
    encoding: "utf8",
  });
  return JSON.parse(output) as PlainTemplate;
}

/**
 * One spelling for an ARN's partition on both sides: `arn:aws:` in a plain string and `arn:${AWS::Partition}:` in a
 * Fn::Sub both become the plain string `arn:${AWS::Partition}:` (a Fn::Sub string's `${!` escape is undone).
 */
function partitionNeutral(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("arn:aws:", "arn:${AWS::Partition}:");
  if (Array.isArray(value)) return value.map(partitionNeutral);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === "Fn::Sub" && typeof entries[0]![1] === "string")
    return partitionNeutral(entries[0]![1].replaceAll("${!", "${"));
  return Object.fromEntries(entries.map(([key, item]) => [key, partitionNeutral(item)]));
}

/** The zip a function of the organization template takes its code from (its S3 key without CodeKeyPrefix). */
function zipNameOf(logicalId: string): string {
  const code = org.Resources[logicalId]?.Properties?.Code as { S3Key: { "Fn::Sub": string } };
  return code.S3Key["Fn::Sub"].replace("${CodeKeyPrefix}", "");
}

function resourcesOfType(template: PlainTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** Every IAM policy statement list in a resource (roles, policies, queue and bucket policies), by where it is. */
function statementsOf(value: unknown, where = ""): Record<string, unknown> {
  if (value === null || typeof value !== "object") return {};
  return Object.entries(value).reduce<Record<string, unknown>>(
    (found, [key, item]) =>
      key === "Statement"
        ? { ...found, [where]: item }
        : { ...found, ...statementsOf(item, `${where}/${key}`) },
    {},
  );
}

const FORBIDDEN_LITERALS = {
  "the aws partition in an ARN": /arn:aws:/,
  "an account ID": /(?<![\w-])\d{12}(?![\w-])/,
  // The regionRegex of every partition in the AWS SDK's partitions data.
  "a region name":
    /(?<![\w-])(us|eu|ap|sa|ca|me|af|il|mx|cn|eusc-de|us-iso[bf]?|eu-isoe|us-gov)-[a-z]+-\d+(?![\w-])/,
};

let body: string;
let org: PlainTemplate;
let direct: PlainTemplate;
let packagerOutput: string;

beforeAll(() => {
  const run = runPackager();
  if (run.status !== 0) throw new Error(`package-org.mjs failed: ${run.stderr}`);
  packagerOutput = run.stdout;
  body = readFileSync(path.join(ORG, "template.json"), "utf8");
  org = JSON.parse(body) as PlainTemplate;
  direct = directTransform();
});

describe("the organization template (dist/org/template.json)", () => {
  it("is plain CloudFormation: no Transform and no AWS::Serverless::* resource", () => {
    expect(org.Transform).toBeUndefined();
    expect(Object.values(org.Resources).filter(({ Type }) => Type.startsWith("AWS::Serverless::"))).toEqual(
      [],
    );
    // Neither the transform (AWS::Serverless-2016-10-31) nor a SAM type is left; the Serverless Application
    // Repository's metadata key (AWS::ServerlessRepo::Application) is plain CloudFormation metadata and may stay.
    expect(body).not.toMatch(/AWS::Serverless(::|-)/);
  });

  it.each(Object.entries(FORBIDDEN_LITERALS))("carries no literal %s", (_what, pattern) => {
    expect(body.match(new RegExp(pattern, "g")) ?? []).toEqual([]);
  });

  it("spells the managed-policy ARNs the translator writes with ${AWS::Partition}", () => {
    const roles = resourcesOfType(org, "AWS::IAM::Role").filter(([id]) =>
      FUNCTIONS.some(({ logicalId }) => id === `${logicalId}Role`),
    );
    expect(roles).toHaveLength(FUNCTIONS.length);
    for (const [, role] of roles)
      expect(role.Properties?.ManagedPolicyArns).toEqual([
        { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
      ]);
  });

  it.each(FUNCTIONS)(
    "takes $logicalId's code from the bucket of the stack's region, under CodeKeyPrefix, as a zip in dist/org",
    ({ logicalId, folder }) => {
      const fn = org.Resources[logicalId]!;
      expect(fn.Type).toBe("AWS::Lambda::Function");
      const code = fn.Properties?.Code as { S3Bucket: unknown; S3Key: { "Fn::Sub": string } };
      expect(Object.keys(code).sort()).toEqual(["S3Bucket", "S3Key"]);
      expect(code.S3Bucket).toEqual({ "Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}" });
      const zipName = /^\$\{CodeKeyPrefix\}([^/${}]+)$/.exec(code.S3Key["Fn::Sub"])?.[1];
      expect(zipName).toMatch(new RegExp(`^${folder}-[0-9a-f]{16}\\.zip$`));
      expect(readdirSync(ORG)).toContain(zipName);
    },
  );

  it("names every zip by its content hash, and dist/org holds only the template and those zips", () => {
    const named = FUNCTIONS.map(({ logicalId }) => zipNameOf(logicalId));
    expect(readdirSync(ORG).sort()).toEqual([...named, "template.json"].sort());
    for (const name of named) {
      const hash = createHash("sha256")
        .update(readFileSync(path.join(ORG, name)))
        .digest("hex");
      expect(name).toMatch(new RegExp(`-${hash.slice(0, 16)}\\.zip$`));
    }
  });

  it("has the logical IDs of template.yaml transformed directly by the SAM translator", () => {
    const sam = loadTemplate();
    expect(Object.keys(org.Resources)).toEqual(expect.arrayContaining(Object.keys(sam.Resources)));
    expect(Object.keys(org.Parameters)).toEqual(expect.arrayContaining(Object.keys(sam.Parameters)));
    expect(Object.keys(org.Resources).sort()).toEqual(Object.keys(direct.Resources).sort());
    expect(Object.keys(org.Outputs ?? {}).sort()).toEqual(Object.keys(direct.Outputs ?? {}).sort());
    expect(org.Conditions).toEqual(direct.Conditions);
  });

  it("keeps every parameter of the direct transform unchanged and adds CodeBucketPrefix and CodeKeyPrefix", () => {
    const { CodeBucketPrefix, CodeKeyPrefix, ...kept } = org.Parameters;
    expect(kept).toEqual(direct.Parameters);
    expect(CodeBucketPrefix).toMatchObject({ Type: "String" });
    expect(CodeBucketPrefix).not.toHaveProperty("Default");
    expect(CodeKeyPrefix).toMatchObject({ Type: "String" });
  });

  it("has the same EventBridge rules (event patterns, schedules, targets, retry and dead-letter) as the direct transform", () => {
    const rules = resourcesOfType(direct, "AWS::Events::Rule");
    expect(rules.length).toBeGreaterThanOrEqual(FUNCTIONS.length);
    for (const [id, rule] of rules) {
      expect(org.Resources[id]?.Properties?.EventPattern).toEqual(rule.Properties?.EventPattern);
      expect(org.Resources[id]?.Properties?.ScheduleExpression).toEqual(rule.Properties?.ScheduleExpression);
      expect(partitionNeutral(org.Resources[id])).toEqual(partitionNeutral(rule));
    }
  });

  it("has the same IAM statements as the direct transform, the partition spelled ${AWS::Partition}", () => {
    const statements = (template: PlainTemplate) =>
      Object.fromEntries(
        Object.entries(template.Resources).flatMap(([id, resource]) =>
          Object.entries(statementsOf(resource)).map(([where, list]) => [`${id}${where}`, list]),
        ),
      );
    const expected = statements(direct);
    expect(Object.keys(expected).length).toBeGreaterThan(FUNCTIONS.length);
    expect(partitionNeutral(statements(org))).toEqual(partitionNeutral(expected));
  });

  it("differs from the direct transform only in code locations, build Metadata, two parameters and ARN partitions", () => {
    // (each function's Code is checked above)
    const comparable = (template: PlainTemplate) => {
      const copy = structuredClone(template);
      for (const { logicalId } of FUNCTIONS) delete copy.Resources[logicalId]!.Properties!.Code;
      // The translator copies a function's Metadata onto the resources it makes for it; the esbuild part is dropped.
      for (const resource of Object.values(copy.Resources)) {
        const metadata = { ...resource.Metadata };
        delete metadata.BuildMethod;
        delete metadata.BuildProperties;
        if (Object.keys(metadata).length > 0) resource.Metadata = metadata;
        else delete resource.Metadata;
      }
      for (const name of CODE_PARAMETERS) delete copy.Parameters[name];
      return partitionNeutral(copy);
    };
    expect(comparable(org)).toEqual(comparable(direct));
  });

  it(`is compact JSON under StackSets' ${TEMPLATE_BODY_LIMIT_BYTES}-byte template body limit`, () => {
    const bytes = Buffer.byteLength(body);
    expect(body).toBe(JSON.stringify(org));
    expect(bytes).toBeLessThan(TEMPLATE_BODY_LIMIT_BYTES);
    expect(packagerOutput).toContain(
      `template.json: ${bytes} bytes, ${TEMPLATE_BODY_LIMIT_BYTES - bytes} under`,
    );
  });

  it("is cfn-lint clean in us-east-1, eu-west-1, ap-southeast-2 and us-gov-west-1", () => {
    const lint = spawnSync(
      "cfn-lint",
      [
        "--regions",
        "us-east-1",
        "eu-west-1",
        "ap-southeast-2",
        "us-gov-west-1",
        "--",
        path.join(ORG, "template.json"),
      ],
      { encoding: "utf8" },
    );
    expect({ status: lint.status, output: `${lint.stdout}${lint.stderr}`.trim() }).toEqual({
      status: 0,
      output: "",
    });
  });
});

describe("the code location parameters", () => {
  // The longest region name of every partition in the AWS SDK's partitions data is us-isof-south-1 (15 characters).
  const REGIONS = [
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "us-gov-west-1",
    "cn-northwest-1",
    "us-isof-south-1",
  ];
  /** S3 bucket naming rules: a valid host label of 3-63 lowercase characters, not an IP, no reserved start. */
  const isBucketName = (name: string) =>
    isVirtualHostableS3Bucket(name) && !/^(xn--|sthree-|amzn-s3-demo-)/.test(name);
  const accepts = (parameter: string, value: string) =>
    new RegExp(org.Parameters[parameter]!.AllowedPattern!, "u").test(value);

  it("CodeBucketPrefix accepts exactly the prefixes that make <prefix>-<region> a bucket name in every region", () => {
    const fragment = fc.constantFrom(
      "a",
      "z",
      "0",
      "9",
      "-",
      "xn",
      "sthree",
      "amzn",
      "s3",
      "demo",
      ".",
      "A",
      "_",
    );
    fc.assert(
      fc.property(
        fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join("")),
        (prefix) => {
          // Periods are valid in bucket names but refused here: they break virtual-hosted-style HTTPS.
          const valid =
            !prefix.includes(".") && REGIONS.every((region) => isBucketName(`${prefix}-${region}`));
          expect(`${prefix}: ${accepts("CodeBucketPrefix", prefix)}`).toBe(`${prefix}: ${valid}`);
        },
      ),
      { numRuns: 2000 },
    );
    expect(accepts("CodeBucketPrefix", "a".repeat(47))).toBe(true);
    expect(accepts("CodeBucketPrefix", "a".repeat(48))).toBe(false);
  });

  it("CodeKeyPrefix accepts empty or '/'-terminated key segments of S3's safe characters, its default included", () => {
    const { Default } = org.Parameters.CodeKeyPrefix!;
    for (const ok of ["", Default!, "ses-firehose-autowire/0.1.0/", "a/b_c/(1)/"])
      expect(`${ok}: ${accepts("CodeKeyPrefix", ok)}`).toBe(`${ok}: true`);
    for (const bad of ["no-slash", "/leading/", "a//b/", "with space/", "ünï/"])
      expect(`${bad}: ${accepts("CodeKeyPrefix", bad)}`).toBe(`${bad}: false`);
  });
});

describe("the function zips (dist/org/<function>-<hash>.zip)", () => {
  type Entry = [name: string, dateTime: number[], mode: number];
  let unpacked: string;
  let entries: Record<string, Entry[]>;

  beforeAll(() => {
    // Python's zipfile, an unzip independent of the library that wrote them: each zip's entries, then extracted.
    unpacked = mkdtempSync(path.join(tmpdir(), "org-zips-"));
    const script = [
      "import json, os, sys, zipfile",
      "entries = {}",
      "for name in sys.argv[2:]:",
      "    z = zipfile.ZipFile(os.path.join(sys.argv[1], name))",
      "    entries[name] = [[i.filename, list(i.date_time), i.external_attr >> 16] for i in z.infolist()]",
      "    z.extractall(os.path.join(sys.argv[1], name[:-4]))",
      "print(json.dumps(entries))",
    ].join("\n");
    const zips = FUNCTIONS.map(({ logicalId }) => zipNameOf(logicalId));
    for (const zip of zips) copyFileSync(path.join(ORG, zip), path.join(unpacked, zip));
    entries = JSON.parse(
      execFileSync("python3", ["-c", script, unpacked, ...zips], { encoding: "utf8" }),
    ) as Record<string, Entry[]>;
  });
  afterAll(() => rmSync(unpacked, { recursive: true, force: true }));
  const unpackedFile = (logicalId: string, file: string) =>
    path.join(unpacked, zipNameOf(logicalId).replace(/\.zip$/, ""), file);

  it.each(FUNCTIONS)("$folder, unpacked, loads in Node.js and exports handler", ({ logicalId }) => {
    const output = execFileSync(
      process.execPath,
      [
        "-e",
        `process.stdout.write(typeof require(${JSON.stringify(unpackedFile(logicalId, "index.js"))}).handler)`,
      ],
      { env: { PATH: process.env.PATH, AWS_REGION: "us-east-1" }, encoding: "utf8" },
    );
    expect(output).toBe("function");
  });

  it.each(FUNCTIONS)(
    "$folder holds the bundle and its source map, sorted, dated 1980-01-01, readable by everyone (0644)",
    ({ logicalId, folder }) => {
      expect(entries[zipNameOf(logicalId)]).toEqual([
        ["index.js", [1980, 1, 1, 0, 0, 0], 0o100644],
        ["index.js.map", [1980, 1, 1, 0, 0, 0], 0o100644],
      ]);
      for (const file of ["index.js", "index.js.map"])
        expect(
          readFileSync(unpackedFile(logicalId, file)).equals(
            readFileSync(path.join(ROOT, "dist", folder, file)),
          ),
        ).toBe(true);
    },
  );
});

describe("npm run package:org", () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "package-org-"));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it("gives the same bytes when run again (a later run, another time zone)", () => {
    const again = runPackager(["--out", path.join(scratch, "org")], {
      ...process.env,
      TZ: "Pacific/Kiritimati",
    });
    expect(again.status).toBe(0);
    expect(readdirSync(path.join(scratch, "org")).sort()).toEqual(readdirSync(ORG).sort());
    for (const file of readdirSync(ORG))
      expect(
        `${file}: ${readFileSync(path.join(scratch, "org", file)).equals(readFileSync(path.join(ORG, file)))}`,
      ).toBe(`${file}: true`);
  });

  it("without the SAM translator, says in one line how to install it and writes nothing", () => {
    // A python3 whose site-packages (where aws-sam-translator lives) are not on its path.
    const bin = path.join(scratch, "bin");
    const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], {
      encoding: "utf8",
    }).trim();
    execFileSync("mkdir", [bin]);
    writeFileSync(path.join(bin, "python3"), `#!/bin/sh\nexec ${JSON.stringify(python)} -S "$@"\n`);
    chmodSync(path.join(bin, "python3"), 0o755);
    const out = path.join(scratch, "org");
    const run = runPackager(["--out", out], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([
      "npm run package:org needs the AWS SAM translator for Python: pip install aws-sam-translator",
    ]);
    expect(readdirSync(scratch)).toEqual(["bin"]);
  });

  it("without python3, says what to install and writes nothing", () => {
    const out = path.join(scratch, "org");
    const run = runPackager(["--out", out], { ...process.env, PATH: scratch });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^could not run python3 \(.*ENOENT.*\): install Python 3, then pip install aws-sam-translator$/,
    );
    expect(readdirSync(scratch)).toEqual([]);
  });
});
