// The citizen's journey through the generated client, as the mobile app makes it: the catalogue, an
// appointment preview, an upload, a submission (and its retry under the same Idempotency-Key), reading it
// back, tracking it, withdrawing it; a second dossier the desk receives (the citizen gets the receipt slip),
// processes and returns, which the citizen rates; feedback; notification settings and a device; the
// personal-data export. Every answer is checked against the document by ``Contract``; any mismatch, or any
// unexpected status, ends the run with exit 1.
//
//   MOTCUA_API_URL            the local API (``make run``: http://127.0.0.1:3000)
//   MOTCUA_OPENAPI            the document the types were generated from (default: schemas/openapi.json)
//   MOTCUA_TOKEN_CITIZEN      bearer tokens: the citizen, and the commune's reception and processing officers
//   MOTCUA_TOKEN_DESK, MOTCUA_TOKEN_PROCESSOR
//   MOTCUA_AGENCY             the commune the dossiers go to (default: the seed's phường Xuân Hương - Đà Lạt)
import { randomUUID } from "node:crypto";
import createClient, { type Client } from "openapi-fetch";
import { Contract } from "./contract.mjs";
import type { components, paths } from "./openapi.js";

type Schemas = components["schemas"];

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

const baseUrl = env("MOTCUA_API_URL");
const contract = new Contract(env("MOTCUA_OPENAPI", "schemas/openapi.json"));
const AGENCY = env("MOTCUA_AGENCY", "000.20.01.H36");
const PROCEDURE = "1.001193"; // birth registration, at the commune

function client(token?: string): Client<paths> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const made = createClient<paths>({ baseUrl, headers });
  made.use(contract.middleware());
  return made;
}

/** The data of an answer expected to succeed; anything else (documented or not) fails the journey. */
function ok<T>(step: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined || !answer.response.ok) {
    throw new Error(`${step}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  console.log(`ok   ${step} (${answer.response.status})`);
  return answer.data;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`expected: ${what}`);
}

const key = (): string => randomUUID();

const citizen = client(env("MOTCUA_TOKEN_CITIZEN"));
const desk = client(env("MOTCUA_TOKEN_DESK"));
const processor = client(env("MOTCUA_TOKEN_PROCESSOR"));
const anonymous = client();

async function catalogue(): Promise<void> {
  const page = ok("listProcedures", await anonymous.GET("/procedures", { params: { query: { q: "khai sinh" } } }));
  expect(page.items.some((p) => p.code === PROCEDURE), `${PROCEDURE} in the search`);
  const procedure = ok("getProcedure", await anonymous.GET("/procedures/{code}", {
    params: { path: { code: PROCEDURE } },
  }));
  expect(procedure.code === PROCEDURE, "the procedure asked for");
  const agencies = ok("listAgencies", await anonymous.GET("/agencies", { params: { query: { level: "commune" } } }));
  expect(agencies.items.some((a) => a.code === AGENCY), `${AGENCY} among the communes`);
  const preview = ok("previewAppointment", await anonymous.GET("/calendar/preview", {
    params: { query: { procedure_code: PROCEDURE, agency_code: AGENCY, channel: "online" } },
  }));
  expect(Date.parse(preview.appointment_at) > Date.parse(preview.submitted_at), "an appointment after now");
}

/** POST /uploads, then the file to S3 as the ticket says (a form POST, not an API call). */
async function upload(content: string, fileName: string): Promise<string> {
  const bytes = new TextEncoder().encode(content);
  const ticket = ok("createUpload", await citizen.POST("/uploads", {
    body: { file_name: fileName, content_type: "application/pdf", size_bytes: bytes.length },
  }));
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append("file", new Blob([bytes], { type: "application/pdf" }), fileName);
  const sent = await fetch(ticket.url, { method: "POST", body: form });
  expect(sent.ok, `S3 took the file (${sent.status} ${await sent.text()})`);
  return ticket.key;
}

function submission(attachments: Schemas["AttachmentIn"][]): Schemas["DossierSubmission"] {
  return {
    procedure_code: PROCEDURE,
    agency_code: AGENCY,
    channel: "online",
    applicant: {
      full_name: "Nguyễn Thị Hằng",
      national_id: "079203001234",
      phone: "0912345678",
      email: "hang.nguyen@example.vn",
      address: "12 Trần Phú, phường Xuân Hương - Đà Lạt",
    },
    attachments,
  };
}

async function submitReadTrackWithdraw(): Promise<string> {
  const fileKey = await upload("%PDF-1.4 giấy chứng sinh", "giay-chung-sinh.pdf");
  const body = submission([{ key: fileKey, document_name: "Giấy chứng sinh" }]);
  const idempotencyKey = key();
  const submit = () => citizen.POST("/dossiers", { body, params: { header: { "idempotency-key": idempotencyKey } } });
  const dossier = ok("submitDossier", await submit());
  // A retry after a lost answer: the same key gives back the same dossier, not a second one.
  const again = ok("submitDossier (retry, same key)", await submit());
  expect(again.id === dossier.id && again.receipt_code === dossier.receipt_code, "the retry returns the same dossier");
  // The same key with another body is a client bug, refused in the documented error shape.
  const reused = await citizen.POST("/dossiers", {
    body: { ...body, attachments: [] },
    params: { header: { "idempotency-key": idempotencyKey } },
  });
  // (errors are ErrorBody, or API Gateway's own {message} for the statuses it answers itself: narrow on code)
  const code = reused.error !== undefined && "code" in reused.error ? reused.error.code : undefined;
  expect(reused.response.status === 409 && code === "IDEMPOTENCY_KEY_REUSED", "409 for a reused key");

  const path = { dossier_id: dossier.id };
  const read = ok("getDossier", await citizen.GET("/dossiers/{dossier_id}", { params: { path } }));
  expect(read.attachments.length === 1 && read.status.code === dossier.status.code, "the dossier as submitted");
  const history = ok("getDossierHistory", await citizen.GET("/dossiers/{dossier_id}/history", { params: { path } }));
  expect(history.items.length >= 1, "the submission in the history");
  const mine = ok("listMyDossiers", await citizen.GET("/me/dossiers"));
  expect(mine.items.some((d) => d.id === dossier.id), "the dossier among the citizen's");
  ok("listMyDocuments", await citizen.GET("/me/documents"));
  const tracked = ok("trackDossier", await anonymous.GET("/track/{receipt_code}", {
    params: { path: { receipt_code: dossier.receipt_code } },
  }));
  expect(tracked.receipt_code === dossier.receipt_code, "tracked by its receipt code");

  const withdrawn = ok("requestDossierWithdrawal", await citizen.POST("/dossiers/{dossier_id}/actions/request_withdrawal", {
    params: { path, header: { "idempotency-key": key() } },
    body: { reason: "Nộp nhầm thủ tục", expected_version: read.version },
  }));
  expect(withdrawn.version > read.version, "the withdrawal recorded");
  return dossier.id;
}

async function receiptSlip(path: { dossier_id: string }) {
  for (let attempt = 1; ; attempt++) {
    const answer = await citizen.GET("/dossiers/{dossier_id}/forms/receipt-slip", { params: { path }, parseAs: "arrayBuffer" });
    const pending = answer.response.status === 404 && (answer.error as { code?: string } | undefined)?.code === "RECEIPT_SLIP_PENDING";
    if (!pending || attempt === 60) return answer;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A second dossier, received, processed, decided and returned by the commune, then rated. */
async function processedAndEvaluated(): Promise<string> {
  const dossier = ok("submitDossier", await citizen.POST("/dossiers", {
    body: submission([]),
    params: { header: { "idempotency-key": key() } },
  }));
  const path = { dossier_id: dossier.id };
  const header = () => ({ "idempotency-key": key() });
  ok("receiveDossier", await desk.POST("/dossiers/{dossier_id}/actions/receive", { params: { path, header: header() }, body: {} }));
  // Form 01, the receipt and appointment slip, drawn just after the reception commits: an app asks again
  // while the answer is 404 RECEIPT_SLIP_PENDING (docs/documents.md §1)
  const slip = ok("getReceiptSlip", await receiptSlip(path));
  expect(new TextDecoder().decode(slip.slice(0, 5)) === "%PDF-", "the slip is a PDF");
  ok("startDossierProcessing", await processor.POST("/dossiers/{dossier_id}/actions/start_processing", {
    params: { path, header: header() },
    body: {},
  }));
  ok("decideDossier", await processor.POST("/dossiers/{dossier_id}/actions/decide", { params: { path, header: header() }, body: {} }));
  ok("returnDossierResult", await desk.POST("/dossiers/{dossier_id}/actions/return_result", {
    params: { path, header: header() },
    body: { method: "counter" },
  }));
  const evaluation = ok("evaluateDossier", await citizen.POST("/dossiers/{dossier_id}/evaluation", {
    params: { path },
    body: { scores: { "6": 2, "7": 2, "8": 1, "9": 2 }, satisfaction: "satisfied" },
  }));
  expect(evaluation.dossier_id === dossier.id && evaluation.scores.length === 9, "nine criteria scored");
  return dossier.id;
}

async function feedback(dossierId: string): Promise<void> {
  const filed = ok("fileFeedback", await citizen.POST("/feedback", {
    params: { header: { "idempotency-key": key() } },
    body: {
      about: "dossier",
      dossier_id: dossierId,
      category: "suggestion",
      title: "Đề nghị nhắc lịch hẹn",
      content: "Mong ứng dụng nhắc lịch hẹn trước một ngày.",
    },
  }));
  const read = ok("getFeedback", await citizen.GET("/feedback/{feedback_id}", { params: { path: { feedback_id: filed.id } } }));
  expect(read.id === filed.id, "the feedback read back");
}

async function settingsAndExport(dossierIds: string[]): Promise<void> {
  ok("getNotificationSettings", await citizen.GET("/me/notification-settings"));
  const settings = ok("updateNotificationSettings", await citizen.PUT("/me/notification-settings", {
    body: { channels: ["email", "push"] },
  }));
  expect(settings.channels.join() === "email,push", "the channels chosen");
  ok("registerDevice", await citizen.PUT("/me/devices/{installation_id}", {
    params: { path: { installation_id: randomUUID() } },
    body: { platform: "fcm", token: "fcm-token:contract-test" },
  }));
  const exported = ok("exportMyData", await citizen.GET("/me/export"));
  const exportedIds = exported.dossiers.map((d) => d.id);
  expect(dossierIds.every((id) => exportedIds.includes(id)), "both dossiers in the export");
}

/** Refusals come in the documented error shapes too. */
async function refusals(): Promise<void> {
  const unknown = await anonymous.GET("/track/{receipt_code}", {
    params: { path: { receipt_code: `${AGENCY}-010100-9999` } },
  });
  expect(unknown.response.status === 404 && unknown.error !== undefined, "404 for an unknown receipt code");
  const signedOut = await anonymous.GET("/me/dossiers");
  expect(signedOut.response.status === 401, "401 without a token");
  console.log("ok   refusals (404, 401; 409 above)");
}

async function main(): Promise<void> {
  await catalogue();
  const withdrawn = await submitReadTrackWithdraw();
  const evaluated = await processedAndEvaluated();
  await feedback(withdrawn);
  await settingsAndExport([withdrawn, evaluated]);
  await refusals();
  console.log(`journey: ${contract.checked.length} answers, every one as documented`);
}

main().catch((error: unknown) => {
  console.error(`journey failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
