import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { renderRelay, TLS_CERT_PATH, TLS_KEY_PATH } from "../../components/postfix/relay";
import { sampleCustomers, samplePlatform } from "../fixtures";

const lines = (text: string) => text.split("\n");
const render = (customers: Customer[] = sampleCustomers(), platform = samplePlatform()) => renderRelay(platform, customers);

describe("renderRelay", () => {
  it("returns exactly the Postfix files, keyed by their path in the container", () => {
    assert.deepEqual(Object.keys(render()).sort(), [
      "/etc/postfix/helpdesk",
      "/etc/postfix/main.cf",
      "/etc/postfix/master.cf",
      "/etc/postfix/relay_clients",
      "/etc/postfix/relay_domains",
      "/etc/postfix/relay_senders",
      "/etc/postfix/transport",
    ]);
  });

  it("routes each registered domain to its customer's server through the TLS-only transport", () => {
    const files = render();
    assert.equal(files["/etc/postfix/transport"], "# customer domain -> customer mail server\nkliniek-noord.example.nl customer:[172.16.40.10]:25\nzorggroep-noord.example.nl customer:[172.16.40.10]:25\n");
    assert.equal(files["/etc/postfix/relay_domains"], "# registered customer domains (recipient side)\nkliniek-noord.example.nl zorggroep-noord\nzorggroep-noord.example.nl zorggroep-noord\n");
    assert.equal(files["/etc/postfix/relay_senders"], "# registered customer domains (sender side)\nkliniek-noord.example.nl OK\nzorggroep-noord.example.nl OK\n");
    assert.ok(lines(files["/etc/postfix/master.cf"]).join("\n").includes("customer   unix   -      -      n      -      -      smtp\n  -o smtp_tls_security_level=encrypt"));
  });

  it("leaves a customer before domains-registered out of every domain map, but lets its server connect from network on", () => {
    const files = render();
    for (const map of ["relay_domains", "relay_senders", "transport"]) assert.doesNotMatch(files[`/etc/postfix/${map}`], /huisarts-zuid/);
    assert.equal(files["/etc/postfix/relay_clients"], "# customer mail servers allowed on submission\n172.16.40.10 OK\n172.16.41.20 OK\n");
    const atConnection = { ...sampleCustomers()[1], stage: "connection" as const };
    assert.doesNotMatch(render([atConnection])["/etc/postfix/relay_clients"], /172\.16\.41\.20/);
  });

  it("lets the helpdesk addresses through for the route test", () => {
    assert.equal(render()["/etc/postfix/helpdesk"], "# route-test recipients\nhelpdesk@e-zorg.nl OK\nhelpdesk@ezorg.nl OK\n");
  });

  it("renders the security settings of main.cf exactly", () => {
    const main = lines(render()["/etc/postfix/main.cf"]);
    for (const expected of [
      "myhostname = inside-relay.ezorg.nl",
      "mynetworks =",
      "mydestination =",
      "parent_domain_matches_subdomains =",
      "relay_domains = texthash:/etc/postfix/relay_domains",
      "transport_maps = texthash:/etc/postfix/transport",
      "smtpd_relay_restrictions = reject_non_fqdn_recipient, reject_unauth_destination",
      "smtpd_tls_security_level = may",
      "submission_tls_protocols = >=TLSv1.3",
      "submission_client_restrictions = check_client_access texthash:/etc/postfix/relay_clients, reject",
      "submission_relay_restrictions = reject_non_fqdn_sender, reject_non_fqdn_recipient, check_recipient_access texthash:/etc/postfix/helpdesk, check_sender_access texthash:/etc/postfix/relay_senders, reject",
      "smtp_tls_mandatory_protocols = >=TLSv1.3",
      `smtpd_tls_cert_file = ${TLS_CERT_PATH}`,
      `smtpd_tls_key_file = ${TLS_KEY_PATH}`,
      "delay_warning_time = 4h",
      "maximal_queue_lifetime = 5d",
      "disable_mime_output_conversion = yes",
      "local_header_rewrite_clients =",
    ]) {
      assert.ok(main.includes(expected), `main.cf lacks: ${expected}`);
    }
  });

  it("makes 587 STARTTLS-only at the configured minimum and leaves 25 opportunistic", () => {
    const master = render()["/etc/postfix/master.cf"];
    assert.ok(master.includes(
      "25         inet   n      -      n      -      -      smtpd\n" +
      "587        inet   n      -      n      -      -      smtpd\n" +
      "  -o syslog_name=postfix/submission\n" +
      "  -o smtpd_tls_security_level=encrypt\n" +
      "  -o smtpd_tls_protocols=$submission_tls_protocols\n" +
      "  -o smtpd_tls_mandatory_protocols=$submission_tls_protocols\n" +
      "  -o smtpd_client_restrictions=$submission_client_restrictions\n" +
      "  -o smtpd_relay_restrictions=$submission_relay_restrictions\n",
    ));
    const lowered = samplePlatform();
    lowered.tls.minimumVersion = "TLSv1.2";
    assert.ok(lines(render(undefined, lowered)["/etc/postfix/main.cf"]).includes("submission_tls_protocols = >=TLSv1.2"));
  });

  it("changes nothing but paths and listen addresses when a test moves the instance", () => {
    const moved = renderRelay(samplePlatform(), sampleCustomers(), {
      configDirectory: "/t/etc",
      queueDirectory: "/t/spool",
      dataDirectory: "/t/lib",
      maillogFile: "/t/log",
      listenAddress: "127.0.1.1",
      tlsCertFile: "/t/cert",
      tlsKeyFile: "/t/key",
    });
    const back = (s: string) =>
      s.replaceAll("/t/etc", "/etc/postfix").replaceAll("/t/spool", "/var/spool/postfix").replaceAll("/t/lib", "/var/lib/postfix")
        .replaceAll("/t/log", "/dev/stdout").replaceAll("/t/cert", TLS_CERT_PATH).replaceAll("/t/key", TLS_KEY_PATH).replaceAll("127.0.1.1:", "");
    // master.cf pads its columns, so a longer service name shifts the blanks after it.
    const norm = (s: string) => s.replace(/ +/g, " ");
    const prod = render();
    assert.deepEqual(Object.keys(moved).map(back).sort(), Object.keys(prod).sort());
    for (const [k, v] of Object.entries(moved)) assert.equal(norm(back(v)), norm(prod[back(k)]), k);
  });

  it("refuses a delay notice later than NTA 7516 allows, naming the field", () => {
    const late = samplePlatform();
    late.queue.delayWarningHours = 24;
    assert.throws(() => render(undefined, late), /^Error: platform\.queue\.delayWarningHours: got 24; it must be a whole number of hours above 0 and below notifyWithinHours \(24\)/);
  });

  it("refuses an unknown TLS minimum", () => {
    const odd = samplePlatform();
    (odd.tls as { minimumVersion: string }).minimumVersion = "TLSv1.1";
    assert.throws(() => render(undefined, odd), /^Error: platform\.tls\.minimumVersion: got "TLSv1\.1"/);
  });
});
