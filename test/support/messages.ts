/**
 * Test messages with the bytes a careless hop would change: a leading dot, trailing
 * blanks, a tab, 8-bit UTF-8 in the body, a long line and a base64 attachment.
 */
import { randomBytes } from "node:crypto";

export interface MessageOptions {
  from: string;
  to: string;
  subject: string;
  /** Extra header lines, e.g. `x-ezorg-secbypass: true`. */
  headers?: string[];
  /** A whole message to attach as message/rfc822 (a forwarded mail). */
  forwarded?: string;
}

/** The exact bytes of DATA (CRLF line ends, final CRLF included), as UTF-8. */
export function message(o: MessageOptions): string {
  const id = randomBytes(8).toString("hex");
  const attachment = randomBytes(300).toString("base64").replace(/.{76}/g, "$&\r\n");
  const lines = [
    `From: <${o.from}>`,
    `To: <${o.to}>`,
    `Subject: ${o.subject}`,
    `Date: Tue, 03 Dec 2024 10:00:00 +0100`,
    `Message-ID: <${id}@client.test>`,
    ...(o.headers ?? []),
    "MIME-Version: 1.0",
    `Content-Type: multipart/mixed; boundary="b-${id}"`,
    "",
    `--b-${id}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
    "",
    "Geachte collega, de uitslag van patiënt ë is bijgevoegd.",
    ".a line that starts with a dot",
    "..and one with two",
    "trailing blanks stay   ",
    "\ttab-indented",
    "x".repeat(900),
    "",
    `--b-${id}`,
    "Content-Type: application/octet-stream; name=uitslag.bin",
    "Content-Transfer-Encoding: base64",
    "",
    attachment,
    ...(o.forwarded ? [`--b-${id}`, "Content-Type: message/rfc822", "", o.forwarded.replace(/\r\n$/, "")] : []),
    `--b-${id}--`,
  ];
  return lines.join("\r\n") + "\r\n";
}
