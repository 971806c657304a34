import { Customer, PlatformConfig } from "../components/config/model";

/** A platform with two datacentres and the Table-1 values, for renderer tests. */
export function samplePlatform(): PlatformConfig {
  return {
    environment: "test",
    provider: {
      name: "E-Zorg",
      zone: "ezorg.nl",
      cloudflareZoneId: "0123456789abcdef0123456789abcdef",
      certification: { start: "2024-05", end: "2027-05" },
    },
    datacenters: [
      {
        name: "ams1",
        city: "Amsterdam",
        country: "NL",
        dockerHost: "ssh://deploy@docker.ams1.ezorg.internal",
        network: { name: "mailnet", subnet: "172.30.1.0/24" },
      },
      {
        name: "gro1",
        city: "Groningen",
        country: "NL",
        dockerHost: "ssh://deploy@docker.gro1.ezorg.internal",
        network: { name: "mailnet", subnet: "172.30.2.0/24" },
      },
    ],
    relay: { hostname: "inside-relay.ezorg.nl", address: "10.254.253.199", port: 587 },
    secureNodes: {
      hostname: "secure-smtpnodes.ezorg.nl",
      port: 587,
      nodes: [
        { name: "smtpnode1", address: "10.254.253.86", datacenter: "ams1" },
        { name: "smtpnode2", address: "10.254.253.87", datacenter: "gro1" },
      ],
    },
    portal: { hostname: "portal.ezorg.nl", port: 25 },
    mailfilters: [
      { preference: 10, hostname: "mailfilters.ezorg.nl" },
      { preference: 20, hostname: "mailfilter01.ezorg.nl" },
      { preference: 30, hostname: "mailfilter02.ezorg.nl" },
      { preference: 40, hostname: "mailfilter03.ezorg.nl" },
    ],
    spf: { include: "_spf.ezorg.nl", egress: ["192.0.2.10", "192.0.2.11"] },
    secureHeader: { name: "x-ezorg-secbypass", default: "false" },
    tls: { minimumVersion: "TLSv1.3" },
    queue: { delayWarningHours: 4, maximalLifetimeDays: 5, notifyWithinHours: 24 },
    helpdesk: { to: "helpdesk@e-zorg.nl", cc: "helpdesk@ezorg.nl" },
    maintenance: { start: "05:00", end: "07:00", timezone: "Europe/Amsterdam" },
    availability: { objectivePercent: 99.8, maxOutageHours: 24, pageWindowDays: 30 },
    backup: {
      schedule: "30 2 * * *",
      keepDaily: 14,
      keepWeekly: 8,
      keepMonthly: 12,
      checkReadSubset: "10%",
      maxAgeHours: 26,
    },
    monitoring: { probeIntervalSeconds: 30 },
    images: {
      postfix: "registry.ezorg.nl/mail/postfix:3.7.11",
      restic: "registry.ezorg.nl/ops/restic:0.14.0",
      restServer: "registry.ezorg.nl/ops/rest-server:0.12.1",
      prometheus: "registry.ezorg.nl/ops/prometheus:2.42.0",
      blackbox: "registry.ezorg.nl/ops/blackbox-exporter:0.23.0",
      textfileExporter: "registry.ezorg.nl/ops/node-exporter:1.5.0",
    },
  };
}

/** Two customers: one live with two domains, one still in the test stages. */
export function sampleCustomers(): Customer[] {
  return [
    {
      slug: "zorggroep-noord",
      organisation: "Zorggroep Noord B.V.",
      domains: ["zorggroep-noord.example.nl", "kliniek-noord.example.nl"],
      testDomain: "ezorg.nl",
      mailServer: { address: "172.16.40.10", port: 25, software: "exchange-2019", version: "CU14" },
      contacts: {
        implementer: { name: "A. Implementer", email: "implementer@zorggroep-noord.example.nl", phone: "+31 20 555 0101" },
        administrator: { name: "B. Beheerder", email: "beheer@zorggroep-noord.example.nl", phone: "+31 20 555 0102" },
      },
      policy: { secureGroup: "default-Securemail", bypassGroup: "default-Securemail-Bypass" },
      dns: {
        hosting: "cloudflare",
        zones: {
          "zorggroep-noord.example.nl": "11111111111111111111111111111111",
          "kliniek-noord.example.nl": "22222222222222222222222222222222",
        },
        existingSpf: { "kliniek-noord.example.nl": "v=spf1 mx include:spf.mailhost.example.net ~all" },
        dmarc: { policy: "quarantine", rua: "mailto:dmarc@zorggroep-noord.example.nl" },
      },
      dkim: { selector: "ezorg2026", publicKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" },
      credential: {
        username: "zorggroep-noord",
        passwordHash: "{SHA512-CRYPT}$6$examplesalt$0000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      },
      stage: "live",
    },
    {
      slug: "huisarts-zuid",
      organisation: "Huisartsenpraktijk Zuid",
      domains: ["huisarts-zuid.example.nl"],
      testDomain: "test.huisarts-zuid.example.nl",
      mailServer: { address: "172.16.41.20", port: 25, software: "postfix", version: "3.7" },
      contacts: {
        implementer: { name: "C. Implementer", email: "it@huisarts-zuid.example.nl", phone: "+31 40 555 0201" },
        administrator: { name: "D. Beheerder", email: "praktijk@huisarts-zuid.example.nl", phone: "+31 40 555 0202" },
      },
      policy: { secureGroup: "default-Securemail", bypassGroup: "default-Securemail-Bypass" },
      dns: { hosting: "customer", dmarc: { policy: "reject" } },
      stage: "route-test",
    },
  ];
}
