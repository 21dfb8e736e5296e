// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Groth16 verifier for one Verity batch-circuit size
/// @notice Verifies a Groth16 proof over BN254 of a batch statement (nine public inputs, in
///         the order of `verity-circuits`' `batch::statement`) through the EIP-196/197
///         precompiles. The verifying key is fixed at deployment in immutables, so each
///         circuit size gets its own instance and reading the key costs no storage access.
contract Groth16Verifier {
    /// @notice A public input is not below the scalar field modulus r.
    error PublicInputNotInField();
    /// @notice A proof or key coordinate is not below the base field modulus q.
    error CoordinateNotInField();
    /// @notice A precompile refused its input (a point off the curve or outside the group).
    error PrecompileFailed();
    /// @notice No proofs, or a number of input rows other than the number of proofs.
    error ProofCountMismatch();

    /// @notice Public inputs of the statement.
    uint256 public constant INPUTS = 9;

    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;

    uint256 private immutable ALPHA_X;
    uint256 private immutable ALPHA_Y;
    uint256 private immutable BETA_X1;
    uint256 private immutable BETA_X0;
    uint256 private immutable BETA_Y1;
    uint256 private immutable BETA_Y0;
    uint256 private immutable GAMMA_X1;
    uint256 private immutable GAMMA_X0;
    uint256 private immutable GAMMA_Y1;
    uint256 private immutable GAMMA_Y0;
    uint256 private immutable DELTA_X1;
    uint256 private immutable DELTA_X0;
    uint256 private immutable DELTA_Y1;
    uint256 private immutable DELTA_Y0;
    uint256 private immutable IC0_X;
    uint256 private immutable IC0_Y;
    uint256 private immutable IC1_X;
    uint256 private immutable IC1_Y;
    uint256 private immutable IC2_X;
    uint256 private immutable IC2_Y;
    uint256 private immutable IC3_X;
    uint256 private immutable IC3_Y;
    uint256 private immutable IC4_X;
    uint256 private immutable IC4_Y;
    uint256 private immutable IC5_X;
    uint256 private immutable IC5_Y;
    uint256 private immutable IC6_X;
    uint256 private immutable IC6_Y;
    uint256 private immutable IC7_X;
    uint256 private immutable IC7_Y;
    uint256 private immutable IC8_X;
    uint256 private immutable IC8_Y;
    uint256 private immutable IC9_X;
    uint256 private immutable IC9_Y;

    /// @notice Fixes the verifying key.
    /// @param vk alpha (x, y); beta, gamma, delta (x1, x0, y1, y0: imaginary part first, as
    ///        EIP-197 orders G2 coordinates); IC0 to IC9 (x, y each).
    constructor(uint256[34] memory vk) {
        for (uint256 i = 0; i < 34; ++i) {
            if (vk[i] >= Q) revert CoordinateNotInField();
        }
        (ALPHA_X, ALPHA_Y) = (vk[0], vk[1]);
        (BETA_X1, BETA_X0, BETA_Y1, BETA_Y0) = (vk[2], vk[3], vk[4], vk[5]);
        (GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0) = (vk[6], vk[7], vk[8], vk[9]);
        (DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0) = (vk[10], vk[11], vk[12], vk[13]);
        (IC0_X, IC0_Y) = (vk[14], vk[15]);
        (IC1_X, IC1_Y) = (vk[16], vk[17]);
        (IC2_X, IC2_Y) = (vk[18], vk[19]);
        (IC3_X, IC3_Y) = (vk[20], vk[21]);
        (IC4_X, IC4_Y) = (vk[22], vk[23]);
        (IC5_X, IC5_Y) = (vk[24], vk[25]);
        (IC6_X, IC6_Y) = (vk[26], vk[27]);
        (IC7_X, IC7_Y) = (vk[28], vk[29]);
        (IC8_X, IC8_Y) = (vk[30], vk[31]);
        (IC9_X, IC9_Y) = (vk[32], vk[33]);
    }

    /// @notice Checks `proof` for the public inputs `inputs`.
    /// @param proof A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y (B imaginary part first).
    /// @param inputs The public inputs; each must be below r.
    /// @return valid True when the pairing equation holds.
    function verifyProof(uint256[8] calldata proof, uint256[INPUTS] calldata inputs)
        public
        view
        returns (bool valid)
    {
        for (uint256 i = 0; i < 8; ++i) {
            if (proof[i] >= Q) revert CoordinateNotInField();
        }

        // vk_x = IC0 + sum of inputs[i] * IC(i+1); a zero input adds nothing (0 * P is the
        // identity), so its multiplication is skipped.
        uint256[2 * INPUTS] memory ic = [IC1_X, IC1_Y, IC2_X, IC2_Y, IC3_X, IC3_Y, IC4_X, IC4_Y, IC5_X, IC5_Y, IC6_X, IC6_Y, IC7_X, IC7_Y, IC8_X, IC8_Y, IC9_X, IC9_Y];
        uint256[4] memory acc = [IC0_X, IC0_Y, 0, 0];
        bool ok = true;
        for (uint256 i = 0; i < INPUTS; ++i) {
            uint256 input = inputs[i];
            if (input >= R) revert PublicInputNotInField();
            if (input == 0) continue;
            uint256[3] memory mulInput = [ic[2 * i], ic[2 * i + 1], input];
            assembly ("memory-safe") {
                // The product goes to acc[2..3]; then acc[0..1] = acc[0..1] + acc[2..3].
                ok := and(ok, staticcall(gas(), 0x07, mulInput, 0x60, add(acc, 0x40), 0x40))
                ok := and(ok, staticcall(gas(), 0x06, acc, 0x80, acc, 0x40))
            }
        }
        if (!ok) revert PrecompileFailed();

        // e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1
        uint256 negAy = proof[1] == 0 ? 0 : Q - proof[1];
        uint256[24] memory pairing = [
            proof[0], negAy, proof[2], proof[3], proof[4], proof[5],
            ALPHA_X, ALPHA_Y, BETA_X1, BETA_X0, BETA_Y1, BETA_Y0,
            acc[0], acc[1], GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0,
            proof[6], proof[7], DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0
        ];
        uint256[1] memory result;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, pairing, 0x300, result, 0x20)
        }
        if (!ok) revert PrecompileFailed();
        return result[0] == 1;
    }

    /// @notice Checks several proofs together, at four pairings for the first and one more
    ///         for each other (where one by one each takes four). Each proof's equation is
    ///         weighted by a 128-bit factor drawn from a hash of every proof and input, and the
    ///         weighted equations are multiplied: a false proof among them passes only if the
    ///         weights happen to cancel its error, with a chance of about 2^-128, and the
    ///         weights are fixed only once the proofs are.
    /// @param proofs The proofs, each as `verifyProof` takes it.
    /// @param inputs Their public inputs, row for row; each must be below r.
    /// @return valid True when every proof's equation holds (up to that chance).
    function verifyProofs(uint256[8][] calldata proofs, uint256[INPUTS][] calldata inputs)
        external
        view
        returns (bool valid)
    {
        uint256 count = proofs.length;
        if (count == 0 || inputs.length != count) revert ProofCountMismatch();
        bytes32 seed = keccak256(abi.encode(proofs, inputs));
        // Per proof six words, its −w·A and B; then Σw·alpha with beta, vk_x with gamma and
        // Σw·C with delta.
        uint256[] memory pairs = new uint256[](6 * (count + 3));
        // Σw (IC0's and alpha's scalar), then per public input Σ w·input.
        uint256[INPUTS + 1] memory scalars;
        // Σw·C in words 0-1; words 2-4 take a point and a scalar to multiply.
        uint256[5] memory c;
        bool ok = true;
        for (uint256 i = 0; i < count; ++i) {
            uint256[8] calldata proof = proofs[i];
            uint256[INPUTS] calldata row = inputs[i];
            // The first proof's weight is one: a proof of another weight would have to
            // cancel an error of the first, which is fixed before the weights are drawn.
            uint256 weight = i == 0 ? 1 : uint256(keccak256(abi.encode(seed, i))) >> 128;
            for (uint256 k = 0; k < 8; ++k) {
                if (proof[k] >= Q) revert CoordinateNotInField();
            }
            scalars[0] = addmod(scalars[0], weight, R);
            for (uint256 k = 0; k < INPUTS; ++k) {
                uint256 input = row[k];
                if (input >= R) revert PublicInputNotInField();
                scalars[k + 1] = addmod(scalars[k + 1], mulmod(weight, input, R), R);
            }
            assembly ("memory-safe") {
                let at := add(add(pairs, 0x20), mul(i, 0xc0))
                let product := add(c, 0x40)
                // w·A, negated, then B as given; a weight of one needs no multiplication.
                mstore(product, calldataload(proof))
                mstore(add(product, 0x20), calldataload(add(proof, 0x20)))
                mstore(add(product, 0x40), weight)
                switch weight
                case 1 { mcopy(at, product, 0x40) }
                default { ok := and(ok, staticcall(gas(), 0x07, product, 0x60, at, 0x40)) }
                mstore(add(at, 0x20), mod(sub(Q, mload(add(at, 0x20))), Q))
                calldatacopy(add(at, 0x40), add(proof, 0x40), 0x80)
                // Σw·C += w·C.
                mstore(product, calldataload(add(proof, 0xc0)))
                mstore(add(product, 0x20), calldataload(add(proof, 0xe0)))
                mstore(add(product, 0x40), weight)
                if iszero(eq(weight, 1)) {
                    ok := and(ok, staticcall(gas(), 0x07, product, 0x60, product, 0x40))
                }
                ok := and(ok, staticcall(gas(), 0x06, c, 0x80, c, 0x40))
            }
        }

        // vk_x = Σw·IC0 + Σ_k (Σ w·input_k)·IC(k+1); a zero scalar adds nothing.
        uint256[2 * INPUTS] memory ic = [IC1_X, IC1_Y, IC2_X, IC2_Y, IC3_X, IC3_Y, IC4_X, IC4_Y, IC5_X, IC5_Y, IC6_X, IC6_Y, IC7_X, IC7_Y, IC8_X, IC8_Y, IC9_X, IC9_Y];
        uint256[5] memory acc = [IC0_X, IC0_Y, 0, 0, 0];
        uint256 sum = scalars[0];
        uint256[3] memory alpha = [ALPHA_X, ALPHA_Y, sum];
        if (sum != 1) {
            assembly ("memory-safe") {
                mstore(add(acc, 0x40), sum)
                ok := and(ok, staticcall(gas(), 0x07, acc, 0x60, acc, 0x40))
                ok := and(ok, staticcall(gas(), 0x07, alpha, 0x60, alpha, 0x40))
            }
        }
        for (uint256 k = 0; k < INPUTS; ++k) {
            uint256 scalar = scalars[k + 1];
            if (scalar == 0) continue;
            uint256[3] memory term = [ic[2 * k], ic[2 * k + 1], scalar];
            assembly ("memory-safe") {
                ok := and(ok, staticcall(gas(), 0x07, term, 0x60, add(acc, 0x40), 0x40))
                ok := and(ok, staticcall(gas(), 0x06, acc, 0x80, acc, 0x40))
            }
        }
        if (!ok) revert PrecompileFailed();

        uint256 last = 6 * count;
        uint256[18] memory keyPairs = [
            alpha[0], alpha[1], BETA_X1, BETA_X0, BETA_Y1, BETA_Y0,
            acc[0], acc[1], GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0,
            c[0], c[1], DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0
        ];
        for (uint256 k = 0; k < 18; ++k) {
            pairs[last + k] = keyPairs[k];
        }
        uint256[1] memory result;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, add(pairs, 0x20), mul(mload(pairs), 0x20), result, 0x20)
        }
        if (!ok) revert PrecompileFailed();
        return result[0] == 1;
    }
}
