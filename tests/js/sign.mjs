// Signs a Verity transaction with circomlibjs, the way a JavaScript wallet would, following
// only the README's description of the signed message. Reads a JSON array of requests on
// stdin, each {"private_key": "0x…", "chain_id": "31337", "rollup": "0x…", "tx": {…}} with
// Verity's unsigned transaction fields, and prints a JSON array: for each, the signed
// transaction as Verity's JSON, its hash and the packed public key.
import { buildEddsa } from "circomlibjs";

const TRANSFER = 3n;
const WITHDRAW = 4n;

const requests = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

const eddsa = await buildEddsa();
const poseidon = eddsa.poseidon;
const F = poseidon.F;
function sign(request) {
  const tx = request.tx;
  const domain = poseidon([BigInt(request.chain_id), BigInt(request.rollup)]);
  const common = [BigInt(tx.token), BigInt(tx.nonce), BigInt(tx.amount), BigInt(tx.fee)];
  const message = tx.type === "transfer"
    ? poseidon([domain, TRANSFER, BigInt(tx.from), BigInt(tx.to), ...common])
    : poseidon([domain, WITHDRAW, BigInt(tx.from), BigInt(tx.to), ...common]);
  const privateKey = Buffer.from(request.private_key.replace(/^0x/, ""), "hex");
  const signature = eddsa.signPoseidon(privateKey, message);
  return {
    tx: { ...tx, signature: hex(eddsa.packSignature(signature)) },
    hash: field(message),
    public_key: hex(eddsa.babyJub.packPoint(eddsa.prv2pub(privateKey))),
  };
}

const hex = (bytes) => "0x" + Buffer.from(bytes).toString("hex");
const field = (element) => "0x" + F.toObject(element).toString(16).padStart(64, "0");

process.stdout.write(JSON.stringify(requests.map(sign)) + "\n");
