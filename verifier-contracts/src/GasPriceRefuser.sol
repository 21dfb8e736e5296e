// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title A recipient that accepts only in simulation (test only)
/// @notice Accepts ETH when the transaction's gas price is zero, as in a gas estimate's
///         simulation without fee fields, and refuses it on chain: a batch paying it costs
///         more gas when mined than when estimated (the payment falls back to a pending
///         balance), which the submitter must have reserved.
contract GasPriceRefuser {
    /// @notice The payment came in a transaction with a gas price.
    error PricedTransaction();

    /// @notice Accepts ETH only at a zero gas price.
    receive() external payable {
        if (tx.gasprice != 0) revert PricedTransaction();
    }
}
