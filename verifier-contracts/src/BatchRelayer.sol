// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Batch relayer (test only)
/// @notice Forwards calldata to the Rollup from inside a contract, as someone hiding a batch's
///         data from plain transaction calldata would. The Rollup must refuse it.
contract BatchRelayer {
    address private immutable rollup;

    /// @param rollup_ The Rollup to call.
    constructor(address rollup_) {
        rollup = rollup_;
    }

    /// @notice Calls the Rollup with `data`, re-raising its revert.
    /// @param data The calldata, e.g. an encoded `submitBatch`.
    function relay(bytes calldata data) external {
        (bool ok, bytes memory reason) = rollup.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }
}
