// Compiles every contract in src/ with the pinned solc into artifacts/<Contract>.json
// (abi, bytecode, deployedBytecode), refusing code over the size limits an L1 enforces. With
// --check, compiles and fails unless the committed artifacts are byte for byte what the
// sources produce.
import fs from "node:fs";
import path from "node:path";
import solc from "solc";

const root = path.dirname(new URL(import.meta.url).pathname);
const sourceDir = path.join(root, "src");
const artifactDir = path.join(root, "artifacts");
const check = process.argv.includes("--check");

const sources = {};
for (const file of fs.readdirSync(sourceDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(sourceDir, file), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none", appendCBOR: false },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const problems = (output.errors ?? []).filter((e) => e.severity === "error" || e.severity === "warning");
if (problems.length > 0) {
  for (const problem of problems) console.error(problem.formattedMessage);
  process.exit(1);
}

// EIP-170 and EIP-3860: an L1 refuses to deploy more code than this.
const MAX_CODE_BYTES = 24576;
const MAX_INITCODE_BYTES = 2 * MAX_CODE_BYTES;
const expected = new Map();
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, contract] of Object.entries(contracts)) {
    // Interfaces have no code: only deployable contracts get artifacts.
    if (contract.evm.bytecode.object === "") continue;
    const code = contract.evm.deployedBytecode.object.length / 2;
    const initcode = contract.evm.bytecode.object.length / 2;
    if (code > MAX_CODE_BYTES || initcode > MAX_INITCODE_BYTES) {
      console.error(`${name}: ${code} bytes of code and ${initcode} of initcode, over the limits ${MAX_CODE_BYTES} and ${MAX_INITCODE_BYTES}`);
      process.exit(1);
    }
    const artifact = {
      contractName: name,
      sourceName: `src/${file}`,
      compiler: `solc ${solc.version()}`,
      abi: contract.abi,
      bytecode: "0x" + contract.evm.bytecode.object,
      deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
    };
    expected.set(`${name}.json`, JSON.stringify(artifact, null, 2) + "\n");
  }
}

if (check) {
  const committed = fs.readdirSync(artifactDir).filter((f) => f.endsWith(".json")).sort();
  const stale = [...expected.keys()].filter(
    (file) => !fs.existsSync(path.join(artifactDir, file)) ||
      fs.readFileSync(path.join(artifactDir, file), "utf8") !== expected.get(file),
  );
  const orphans = committed.filter((file) => !expected.has(file));
  if (stale.length > 0 || orphans.length > 0) {
    console.error(`artifacts differ from the sources: ${[...stale, ...orphans].join(", ")}; run npm run build in verifier-contracts`);
    process.exit(1);
  }
  console.log(`contracts: ${expected.size} artifacts match their sources`);
} else {
  fs.mkdirSync(artifactDir, { recursive: true });
  for (const file of fs.readdirSync(artifactDir).filter((f) => f.endsWith(".json"))) {
    if (!expected.has(file)) fs.unlinkSync(path.join(artifactDir, file));
  }
  for (const [file, text] of expected) fs.writeFileSync(path.join(artifactDir, file), text);
  console.log(`contracts: wrote ${expected.size} artifacts`);
}
