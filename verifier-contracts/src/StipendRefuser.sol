// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title A recipient that needs more than the stipend (test only)
/// @notice Accepts ETH only with more gas than the 2,300-gas stipend of a plain transfer, as a
///         contract wallet whose receive hook does work would: a batch's direct payment to it
///         fails and waits in its pending balance, which `withdrawFor` then pays.
contract StipendRefuser {
    /// @notice The payment came with the stipend alone.
    error StipendOnly();

    /// @notice Accepts ETH when given more than the stipend.
    receive() external payable {
        if (gasleft() <= 2300) revert StipendOnly();
    }
}
