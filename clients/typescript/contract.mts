// The run-time half of the contract check. The generated types hold only at compile time: every answer the
// journey gets is also validated, as it arrives, against the same document they were generated from (its
// status documented for the operation, its media type, its required headers and its JSON body schema).
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import type { Middleware } from "openapi-fetch";

type Json = Record<string, unknown>;

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Json }>; headers?: Record<string, Json> }>;
}

const DOCUMENT_ID = "https://motcua.local/openapi.json";

/** A JSON pointer (RFC 6901) to ``segments`` as a URI fragment of the document. */
function pointer(segments: string[]): string {
  const escaped = segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1")));
  return `${DOCUMENT_ID}#/${escaped.join("/")}`;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "(body)"} ${e.message ?? ""}`).join("; ");
}

export class Contract {
  readonly document: Json & { paths: Record<string, Record<string, Operation>> };
  readonly checked: string[] = [];
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(documentPath: string) {
    this.document = JSON.parse(readFileSync(documentPath, "utf-8"));
    // OpenAPI 3.1 schemas are JSON Schema 2020-12. The document itself is not a schema (openapi, info,
    // paths, ...): strictSchema is off for that reason only; formats are checked (date-time, date, email).
    this.ajv = new Ajv2020({ allErrors: true, strictSchema: false, validateFormats: true });
    formatsModule.default(this.ajv);
    this.ajv.addSchema({ ...this.document, $id: DOCUMENT_ID });
  }

  private validator(segments: string[]): ValidateFunction {
    const ref = pointer(segments);
    let validate = this.validators.get(ref);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate;
  }

  /** Throws unless ``response`` is one the document declares for ``method path``. */
  async check(method: string, path: string, response: Response): Promise<void> {
    const where = `${method.toUpperCase()} ${path} -> ${response.status}`;
    const verb = method.toLowerCase();
    const operation = this.document.paths[path]?.[verb];
    if (operation === undefined) throw new Error(`${where}: no such operation in the document`);
    const status = String(response.status);
    const declared = operation.responses?.[status];
    if (declared === undefined) throw new Error(`${where}: status not documented for this operation`);
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      const value = response.headers.get(name);
      if (value === null) {
        if (header["required"] === true) throw new Error(`${where}: required header ${name} missing`);
        continue;
      }
      const validate = this.validator(["paths", path, verb, "responses", status, "headers", name, "schema"]);
      if (!validate(value)) throw new Error(`${where}: header ${name}=${value}: ${describe(validate.errors)}`);
    }
    const media = Object.keys(declared.content ?? {});
    const body = await response.clone().text();
    if (media.length === 0) {
      if (body !== "") throw new Error(`${where}: a body where the document declares none`);
      this.checked.push(where);
      return;
    }
    const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (!media.includes(type)) throw new Error(`${where}: content type ${type || "(none)"}, documented: ${media}`);
    if (type === "application/json") {
      const validate = this.validator(["paths", path, verb, "responses", status, "content", type, "schema"]);
      if (!validate(JSON.parse(body))) throw new Error(`${where}: body does not match: ${describe(validate.errors)}`);
    }
    this.checked.push(where);
  }

  /** An openapi-fetch middleware checking every answer of the client it is used on. */
  middleware(): Middleware {
    return {
      onResponse: async ({ request, response, schemaPath }) => {
        await this.check(request.method, schemaPath, response);
      },
    };
  }
}
