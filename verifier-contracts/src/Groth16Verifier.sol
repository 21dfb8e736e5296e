// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Groth16 verifier for one Verity batch-circuit size
/// @notice Verifies a Groth16 proof over BN254 of a statement with one public input (the batch
///         commitment) through the EIP-196/197 precompiles. The verifying key is fixed at
///         deployment in immutables, so each circuit size gets its own instance and reading the
///         key costs no storage access.
contract Groth16Verifier {
    /// @notice The public input is not below the scalar field modulus r.
    error PublicInputNotInField();
    /// @notice A proof or key coordinate is not below the base field modulus q.
    error CoordinateNotInField();
    /// @notice A precompile refused its input (a point off the curve or outside the group).
    error PrecompileFailed();

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

    /// @notice Fixes the verifying key.
    /// @param vk alpha (x, y); beta, gamma, delta (x1, x0, y1, y0: imaginary part first, as
    ///        EIP-197 orders G2 coordinates); IC0 (x, y); IC1 (x, y).
    constructor(uint256[18] memory vk) {
        for (uint256 i = 0; i < 18; ++i) {
            if (vk[i] >= Q) revert CoordinateNotInField();
        }
        (ALPHA_X, ALPHA_Y) = (vk[0], vk[1]);
        (BETA_X1, BETA_X0, BETA_Y1, BETA_Y0) = (vk[2], vk[3], vk[4], vk[5]);
        (GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0) = (vk[6], vk[7], vk[8], vk[9]);
        (DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0) = (vk[10], vk[11], vk[12], vk[13]);
        (IC0_X, IC0_Y, IC1_X, IC1_Y) = (vk[14], vk[15], vk[16], vk[17]);
    }

    /// @notice Checks `proof` for the public input `input`.
    /// @param proof A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y (B imaginary part first).
    /// @param input The public input; must be below r.
    /// @return valid True when the pairing equation holds.
    function verifyProof(uint256[8] calldata proof, uint256 input) public view returns (bool valid) {
        if (input >= R) revert PublicInputNotInField();
        for (uint256 i = 0; i < 8; ++i) {
            if (proof[i] >= Q) revert CoordinateNotInField();
        }

        // vk_x = IC0 + input * IC1
        uint256[3] memory mulInput = [IC1_X, IC1_Y, input];
        uint256[2] memory product;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x07, mulInput, 0x60, product, 0x40)
        }
        if (!ok) revert PrecompileFailed();
        uint256[4] memory addInput = [IC0_X, IC0_Y, product[0], product[1]];
        uint256[2] memory vkX;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, addInput, 0x80, vkX, 0x40)
        }
        if (!ok) revert PrecompileFailed();

        // e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1
        uint256 negAy = proof[1] == 0 ? 0 : Q - proof[1];
        uint256[24] memory pairing = [
            proof[0], negAy, proof[2], proof[3], proof[4], proof[5],
            ALPHA_X, ALPHA_Y, BETA_X1, BETA_X0, BETA_Y1, BETA_Y0,
            vkX[0], vkX[1], GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0,
            proof[6], proof[7], DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0
        ];
        uint256[1] memory result;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, pairing, 0x300, result, 0x20)
        }
        if (!ok) revert PrecompileFailed();
        return result[0] == 1;
    }
}
