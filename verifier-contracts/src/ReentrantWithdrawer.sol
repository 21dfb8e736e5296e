// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The Rollup's withdrawal entry point.
interface IRollupWithdraw {
    /// @notice Pays the caller's pending balance of `token`.
    function withdraw(uint32 token) external;
}

/// @title Re-entrancy attacker (test only)
/// @notice Withdraws its pending ETH and, when paid, tries to withdraw again from inside
///         the payment. The Rollup must refuse the inner call.
contract ReentrantWithdrawer {
    IRollupWithdraw private immutable rollup;

    /// @param rollup_ The Rollup to attack.
    constructor(IRollupWithdraw rollup_) {
        rollup = rollup_;
    }

    /// @notice Starts the attack.
    function attack() external {
        rollup.withdraw(0);
    }

    /// @notice Re-enters on payment.
    receive() external payable {
        rollup.withdraw(0);
    }
}
