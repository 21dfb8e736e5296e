// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The Groth16 verifier of one circuit size.
interface IBatchVerifier {
    /// @notice Whether `proof` proves the batch statement with public inputs `inputs`.
    function verifyProof(uint256[8] calldata proof, uint256[9] calldata inputs) external view returns (bool);
    /// @notice Whether every proof of `proofs` proves the statement of its row of `inputs`
    ///         (checked together).
    function verifyProofs(uint256[8][] calldata proofs, uint256[9][] calldata inputs) external view returns (bool);
}

/// @notice circomlib Poseidon of two field elements.
interface IPoseidon2 {
    /// @notice The hash.
    function hash(uint256[2] calldata inputs) external pure returns (uint256);
}

/// @notice circomlib Poseidon of four field elements.
interface IPoseidon4 {
    /// @notice The hash.
    function hash(uint256[4] calldata inputs) external view returns (uint256);
}

/// @notice circomlib Poseidon of five field elements.
interface IPoseidon5 {
    /// @notice The hash.
    function hash(uint256[5] calldata inputs) external view returns (uint256);
}

/// @notice The ERC-20 calls the Rollup makes.
interface IERC20Minimal {
    /// @notice Moves tokens from `from` with allowance.
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    /// @notice Moves tokens.
    function transfer(address to, uint256 amount) external returns (bool);
    /// @notice Balance of `owner`.
    function balanceOf(address owner) external view returns (uint256);
}

/// @title Verity rollup
/// @notice Holds the layer-2 state root, the priority queue of L1 operations, users' funds and
///         their pending withdrawals. A batch is final the moment its Groth16 proof is accepted.
///         If the oldest queued operation outlives its deadline, anyone can start exodus mode,
///         in which every user exits against the last verified root without the operator.
///         Batches come from operators that a governor (fixed at deployment) appoints, or
///         from anyone once no batch was finalized for `inactivityInterval`, and always in a
///         top-level transaction of a code-less account, so that every batch's data is in
///         plain transaction calldata. There is no upgrade path.
contract Rollup {
    /// @notice A batch number other than the next one.
    error WrongBatchNumber(uint64 expected, uint64 given);
    /// @notice The batch does not start from the current state root.
    error WrongOldRoot();
    /// @notice A value that must be a field element is not below r.
    error NotInField();
    /// @notice No verifier for a batch of this many slots.
    error NoVerifierForSize(uint256 slots);
    /// @notice Pubdata is not a fee header plus whole chunks.
    error MalformedPubdata();
    /// @notice The batch claims more priority operations than are queued.
    error PriorityOpsUnavailable();
    /// @notice The proof does not prove this batch.
    error InvalidProof();
    /// @notice The call is not allowed in exodus mode.
    error ExodusActive();
    /// @notice The call needs exodus mode.
    error ExodusNotActive();
    /// @notice No queued operation is past its deadline.
    error DeadlineNotPassed();
    /// @notice Nothing to withdraw or refund.
    error NothingPending();
    /// @notice This account already exited.
    error AlreadyExited();
    /// @notice The leaf and siblings do not hash to the state root.
    error InvalidMerkleProof();
    /// @notice The token is not registered.
    error UnknownToken();
    /// @notice The token is registered already.
    error TokenAlreadyRegistered();
    /// @notice A deposit whose value differs from its amount, or an amount of zero or ≥ 2^128.
    error WrongAmount();
    /// @notice The public key is not a point of Baby Jubjub.
    error NotOnCurve();
    /// @notice The account index lies outside the tree.
    error AccountOutOfRange();
    /// @notice An ETH or token transfer failed.
    error TransferFailed();
    /// @notice A reentrant call.
    error Reentrancy();
    /// @notice The deposit is not refundable to the caller with these values.
    error NotRefundable();
    /// @notice Only the governor may call this.
    error NotGovernor();
    /// @notice Only an operator may submit until no batch was finalized for `inactivityInterval`,
    ///         and only an operator several batches in one call.
    error NotOperator();
    /// @notice Batches must come in a top-level call from an account without code.
    error NotTopLevelCall();
    /// @notice The key is a point of small order (8·A is the identity) or has x = 0.
    error LowOrderKey();
    /// @notice A forced exit must pay exactly `forcedExitFee`.
    error WrongForcedExitFee(uint256 fee);
    /// @notice As many forced exits as `MAX_OPEN_FORCED_EXITS` wait unconsumed already.
    error TooManyForcedExits();
    /// @notice The batch carries more than `maxPayouts` payouts.
    error TooManyPayouts();
    /// @notice The zero address where an account is needed.
    error ZeroAddress();
    /// @notice The tree depth is not even and within 2..32.
    error InvalidDepth(uint8 depth);
    /// @notice The priority window is below the floor (14 days outside development) or above 365 days.
    error PriorityWindowOutOfRange(uint256 window);
    /// @notice The verifier lists differ in length or are empty.
    error VerifierListMismatch();
    /// @notice A verifier with no code, a slot count of zero, or a slot count given twice.
    error InvalidVerifier(uint256 slots);
    /// @notice A contract the rollup calls has no code.
    error MissingCode(address target);
    /// @notice A zero inactivity interval or payout cap.
    error InvalidParameter();
    /// @notice As many deposits as the tree has leaves were queued: another might find no free leaf.
    error TreeFull();
    /// @notice A non-operator's batch consumes no queued operation although the oldest has
    ///         waited more than half the window.
    error PriorityOpsDue();
    /// @notice The queue's per-operation records are exhausted (2^32 forced exits, or 136 years).
    error QueueExhausted();
    /// @notice The transaction carries no blob at the index a blob batch names.
    error NoBlob(uint256 index);
    /// @notice The point-evaluation precompile refused the blob opening.
    error InvalidBlobOpening();
    /// @notice `submitBatches` without batches, or with proofs or blob openings other than
    ///         one per batch (or no openings at all for batches in calldata).
    error BatchCountMismatch();
    /// @notice `submitBatches` with batches of different circuit sizes (other verifiers).
    error MixedBatchSizes();
    /// @notice Too little gas is left to give an ERC-20 payout its `TOKEN_PAYOUT_GAS`.
    error PayoutGasTooLow();

    /// @notice A payment the batch makes on L1: straight to the recipient, or into its pending
    ///         balance when that payment fails.
    struct Payout {
        address recipient;
        uint32 token;
        uint128 amount;
    }

    /// @notice The deployment's parameters, fixed for good.
    struct Config {
        /// Binary tree depth: even, 2..32.
        uint8 depth;
        /// Fee-header entries per batch.
        uint256 feeSlots;
        /// Seconds a queued operation may wait before exodus can start.
        uint256 priorityWindow;
        /// Whether this is a development deployment, which may use a priority window below 14 days.
        bool development;
        /// Who appoints and removes operators.
        address governor;
        /// Seconds without a finalized batch after which anyone may submit one.
        uint256 inactivityInterval;
        /// Wei every forced-exit request pays, credited to the governor.
        uint256 forcedExitFee;
        /// Most payouts a batch may carry.
        uint256 maxPayouts;
    }

    /// @notice A batch as submitted.
    struct BatchData {
        uint64 number;
        uint256 oldRoot;
        uint256 newRoot;
        uint256 priorityOps;
        uint256 dataHash;
        bytes pubdata;
        Payout[] payouts;
    }

    /// @notice Where a blob batch's pubdata is and its value at the challenge, for the
    ///         point-evaluation precompile (EIP-4844).
    struct BlobOpening {
        /// Index of the blob among the transaction's blobs.
        uint256 index;
        /// Bytes of pubdata the blob holds (fixing the circuit size).
        uint256 length;
        /// The blob polynomial's value at the challenge, below `BLS_MODULUS`.
        uint256 evaluation;
        /// The blob's KZG commitment (48 bytes).
        bytes commitment;
        /// The KZG proof of the evaluation (48 bytes).
        bytes proof;
    }

    /// @dev Where a submission stands: the batch number, state root and queue head the next
    ///      batch starts from, and whether the caller is an operator.
    struct Cursor {
        uint64 number;
        uint256 root;
        uint256 head;
        bool operator;
    }

    uint256 private constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @dev BLS12-381's scalar field modulus: the published data is a polynomial over it.
    uint256 private constant BLS_MODULUS =
        52435875175126190479447740508185965837690552500527637822603658699938581184513;
    /// @dev Bytes of pubdata in one coefficient of that polynomial.
    uint256 private constant ELEMENT_BYTES = 31;
    /// @dev EIP-4844's point-evaluation precompile.
    address private constant POINT_EVALUATION = address(0x0a);
    uint256 private constant FEE_ENTRY_BYTES = 5;
    uint256 private constant CURVE_A = 168700;

    /// @notice The floor of `priorityWindow` outside development deployments.
    uint256 public constant MIN_PRIORITY_WINDOW = 14 days;
    /// @notice The ceiling of `priorityWindow`.
    uint256 public constant MAX_PRIORITY_WINDOW = 365 days;
    /// @notice Most forced exits that may wait unconsumed at once.
    uint256 public constant MAX_OPEN_FORCED_EXITS = 1024;
    /// @notice Gas an ERC-20 payout's `transfer` gets; past it (or on any failure) the amount
    ///         waits in the recipient's pending balance instead. An ordinary token's transfer to
    ///         a new holder takes about 30,000.
    uint256 public constant TOKEN_PAYOUT_GAS = 60_000;

    /// @notice Binary depth of the account tree.
    uint8 public immutable depth;
    /// @notice Fee-header entries of every batch.
    uint256 public immutable feeSlots;
    /// @notice Seconds a queued operation may wait before exodus can start.
    uint256 public immutable priorityWindow;
    /// @notice Poseidon(chain id, this contract's address): what signatures bind.
    uint256 public immutable domain;
    /// @notice Whether this is a development deployment (a priority window below 14 days allowed).
    bool public immutable development;
    /// @notice Who appoints and removes operators.
    address public immutable governor;
    /// @notice Seconds without a finalized batch after which anyone may submit one.
    uint256 public immutable inactivityInterval;
    /// @notice Wei every forced-exit request pays, credited to the governor's pending ETH.
    uint256 public immutable forcedExitFee;
    /// @notice Most payouts a batch may carry.
    uint256 public immutable maxPayouts;
    IPoseidon2 private immutable poseidon2;
    IPoseidon4 private immutable poseidon4;
    IPoseidon5 private immutable poseidon5;

    /// @notice The last verified state root.
    uint256 public stateRoot;
    /// @notice The last verified batch.
    uint64 public batchNumber;
    /// @notice When the last batch was finalized (the deployment's time before the first).
    uint64 public lastBatchAt;
    /// @notice Whether an address may submit batches at any time.
    mapping(address account => bool) public isOperator;
    /// @notice The verifier for batches of each slot count.
    mapping(uint256 slots => IBatchVerifier) public verifiers;

    /// @notice Registered tokens by id; id 0 is ETH.
    address[] public tokens;
    /// @notice Whether a token contract is registered.
    mapping(address token => bool) public isRegistered;

    /// @notice Rolling hash after each queued operation.
    mapping(uint256 index => uint256) public priorityHashAfter;
    /// @dev Per queued operation, 64 bits, four to a word: when it was queued (seconds after
    ///      `deployedAt`, 32 bits) and how many forced exits were queued before it (32 bits).
    ///      Three operations in four write a word already in use (about 5,000 gas, not 22,100).
    mapping(uint256 group => uint256) private queueRecords;
    /// @notice The next operation a batch must consume.
    uint64 public priorityHead;
    /// @notice The number of operations ever queued.
    uint64 public priorityTail;
    /// @notice The number of forced exits ever requested.
    uint64 public forcedExitCount;
    /// @notice Whether exodus mode is on.
    bool public exodusMode;
    /// @notice Queued deposits refunded in exodus mode.
    mapping(uint256 index => bool) public refunded;
    /// @notice One second before the deployment: queue records count time from it, so that no
    ///         record is zero and every word of records is in use after its first operation.
    uint256 public immutable deployedAt;

    /// @notice Amounts each address can withdraw, per token.
    mapping(address owner => mapping(uint32 token => uint256)) public pendingWithdrawals;
    /// @notice Accounts that exited in exodus mode.
    mapping(uint256 account => bool) public exited;
    /// @dev The reentrancy lock, in transient storage (EIP-1153): ~200 gas a guarded call
    ///      where a storage lock costs ~5,000, and it is clear again in every transaction.
    bool private transient locked;

    /// @notice A token was registered.
    event TokenRegistered(uint32 indexed id, address indexed token);
    /// @notice A deposit was queued.
    event DepositQueued(
        uint256 indexed index, address indexed depositor, uint32 token, uint256 pubkeyX, uint256 pubkeyY, uint128 amount
    );
    /// @notice A forced exit was queued.
    event ForcedExitQueued(uint256 indexed index, address indexed requester, uint32 account, uint32 token);
    /// @notice A batch was verified and its root is final; `commitment` is its data hash.
    event BatchFinalized(uint64 indexed number, uint256 newRoot, uint256 commitment, uint256 priorityOps);
    /// @notice A batch paid `recipient` on L1.
    event PayoutSent(address indexed recipient, uint32 indexed token, uint128 amount);
    /// @notice A batch's payment to `recipient` failed, and the amount waits in its pending
    ///         balance (`withdraw`).
    event WithdrawalPending(address indexed recipient, uint32 indexed token, uint128 amount);
    /// @notice A pending balance of `owner` was paid out to `recipient`.
    event Withdrawn(address indexed owner, address indexed recipient, uint32 indexed token, uint256 amount);
    /// @notice The governor appointed or removed an operator.
    event OperatorSet(address indexed operator, bool enabled);
    /// @notice A forced exit's fee was credited to the governor's pending ETH.
    event ForcedExitFeeCredited(uint256 indexed index, address indexed governor, uint256 amount);
    /// @notice Exodus mode started.
    event ExodusActivated(uint256 oldestPendingOperation);
    /// @notice An account exited in exodus mode.
    event Exited(uint32 indexed account, address indexed recipient, uint32 token, uint128 amount);
    /// @notice An unconsumed deposit was refunded in exodus mode.
    event DepositRefunded(uint256 indexed index, address indexed depositor, uint32 token, uint128 amount);

    modifier nonReentrant() {
        if (locked) revert Reentrancy();
        locked = true;
        _;
        locked = false;
    }

    /// @notice Deploys the rollup.
    /// @param config The fixed parameters (see `Config`).
    /// @param genesisRoot The empty tree's root at this depth.
    /// @param hashes Poseidon contracts of 2, 4 and 5 inputs.
    /// @param slotCounts Batch sizes with a verifier.
    /// @param batchVerifiers Their verifiers, in the same order.
    /// @param operators The first operators.
    constructor(
        Config memory config,
        uint256 genesisRoot,
        address[3] memory hashes,
        uint256[] memory slotCounts,
        IBatchVerifier[] memory batchVerifiers,
        address[] memory operators
    ) {
        if (genesisRoot >= R) revert NotInField();
        if (config.depth < 2 || config.depth > 32 || config.depth % 2 != 0) revert InvalidDepth(config.depth);
        uint256 floor = config.development ? 1 : MIN_PRIORITY_WINDOW;
        if (config.priorityWindow < floor || config.priorityWindow > MAX_PRIORITY_WINDOW) {
            revert PriorityWindowOutOfRange(config.priorityWindow);
        }
        if (config.governor == address(0)) revert ZeroAddress();
        if (config.inactivityInterval == 0 || config.maxPayouts == 0) revert InvalidParameter();
        if (slotCounts.length != batchVerifiers.length || slotCounts.length == 0) revert VerifierListMismatch();
        for (uint256 i = 0; i < 3; ++i) {
            if (hashes[i].code.length == 0) revert MissingCode(hashes[i]);
        }
        depth = config.depth;
        feeSlots = config.feeSlots;
        priorityWindow = config.priorityWindow;
        development = config.development;
        governor = config.governor;
        inactivityInterval = config.inactivityInterval;
        forcedExitFee = config.forcedExitFee;
        maxPayouts = config.maxPayouts;
        deployedAt = block.timestamp - 1;
        poseidon2 = IPoseidon2(hashes[0]);
        poseidon4 = IPoseidon4(hashes[1]);
        poseidon5 = IPoseidon5(hashes[2]);
        domain = IPoseidon2(hashes[0]).hash([block.chainid, uint256(uint160(address(this)))]);
        stateRoot = genesisRoot;
        lastBatchAt = uint64(block.timestamp);
        for (uint256 i = 0; i < slotCounts.length; ++i) {
            uint256 slots = slotCounts[i];
            IBatchVerifier verifier = batchVerifiers[i];
            if (slots == 0 || address(verifier).code.length == 0 || address(verifiers[slots]) != address(0)) {
                revert InvalidVerifier(slots);
            }
            verifiers[slots] = verifier;
        }
        for (uint256 i = 0; i < operators.length; ++i) {
            if (operators[i] == address(0)) revert ZeroAddress();
            isOperator[operators[i]] = true;
            emit OperatorSet(operators[i], true);
        }
        tokens.push(address(0));
        emit TokenRegistered(0, address(0));
    }

    /// @notice Appoints or removes an operator; only the governor may.
    /// @param operator The account.
    /// @param enabled Whether it may submit batches at any time.
    function setOperator(address operator, bool enabled) external {
        if (msg.sender != governor) revert NotGovernor();
        if (operator == address(0)) revert ZeroAddress();
        isOperator[operator] = enabled;
        emit OperatorSet(operator, enabled);
    }

    /// @notice When anyone, not only an operator, may submit a batch: `inactivityInterval`
    ///         seconds after the last finalized batch (or the deployment).
    /// @return The Unix time.
    function openSubmissionAt() public view returns (uint256) {
        return uint256(lastBatchAt) + inactivityInterval;
    }

    /// @notice Registers an ERC-20 token; anyone may.
    /// @param token The token contract.
    /// @return id Its token id.
    function registerToken(address token) external returns (uint32 id) {
        if (token == address(0) || isRegistered[token]) revert TokenAlreadyRegistered();
        id = uint32(tokens.length);
        tokens.push(token);
        isRegistered[token] = true;
        emit TokenRegistered(id, token);
    }

    /// @notice Number of registered tokens, ETH included.
    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }

    /// @notice The priority-queue hash after the first `count` operations.
    function priorityHashAt(uint256 count) public view returns (uint256) {
        return count == 0 ? 0 : priorityHashAfter[count - 1];
    }

    /// @notice When the wait of queued operation `index` ends: exodus may start after it.
    /// @param index A queued operation.
    /// @return The Unix time (0 for an index never queued).
    function priorityDeadline(uint256 index) public view returns (uint256) {
        if (index >= priorityTail) return 0;
        (uint256 queuedAt,) = _record(index);
        return queuedAt + priorityWindow;
    }

    /// @notice Queues a deposit of ETH (token 0, `msg.value`) or of a registered ERC-20 to the
    ///         layer-2 account of `(pubkeyX, pubkeyY)`, owned on L1 by the caller. Keys of small
    ///         order, under which any signature verifies, are refused. At most `2^depth`
    ///         deposits are ever queued, so each one finds a leaf.
    /// @param token Token id.
    /// @param pubkeyX Baby Jubjub public key x (circomlib coordinates).
    /// @param pubkeyY Public key y.
    /// @param amount Amount; for ETH it must equal `msg.value`.
    function deposit(uint32 token, uint256 pubkeyX, uint256 pubkeyY, uint128 amount) external payable nonReentrant {
        if (exodusMode) revert ExodusActive();
        // ETH is always token 0: only an ERC-20 id needs the (cold) token list.
        if (token != 0 && token >= tokens.length) revert UnknownToken();
        if (pubkeyX >= R || pubkeyY >= R) revert NotInField();
        uint256 x2 = mulmod(pubkeyX, pubkeyX, R);
        uint256 y2 = mulmod(pubkeyY, pubkeyY, R);
        if (addmod(mulmod(168700, x2, R), y2, R) != addmod(1, mulmod(168696, mulmod(x2, y2, R), R), R)) {
            revert NotOnCurve();
        }
        if (pubkeyX == 0 || _smallOrder(pubkeyX, pubkeyY)) revert LowOrderKey();
        // Only deposits open accounts, at most one each, and batches consume the queue in
        // order: with no more deposits than leaves, none can stall the queue for want of a
        // free leaf (which only exodus would end).
        if (uint256(priorityTail) - forcedExitCount >= uint256(1) << depth) revert TreeFull();
        uint128 credited;
        if (token == 0) {
            if (msg.value != amount || amount == 0) revert WrongAmount();
            credited = amount;
        } else {
            if (msg.value != 0 || amount == 0) revert WrongAmount();
            IERC20Minimal erc20 = IERC20Minimal(tokens[token]);
            uint256 before = erc20.balanceOf(address(this));
            _call(address(erc20), abi.encodeCall(IERC20Minimal.transferFrom, (msg.sender, address(this), amount)));
            uint256 received = erc20.balanceOf(address(this)) - before;
            if (received == 0 || received >= 1 << 128) revert WrongAmount();
            credited = uint128(received);
        }
        uint256 tag = _tag(1, token, msg.sender);
        uint256 index = _enqueue(poseidon5.hash([priorityHashAt(priorityTail), tag, pubkeyX, pubkeyY, credited]), false);
        emit DepositQueued(index, msg.sender, token, pubkeyX, pubkeyY, credited);
    }

    /// @notice Queues a forced exit: the next batch must pay the whole balance of `account` to
    ///         its L1 owner if the caller is that owner and `token` its token (and otherwise
    ///         consumes the request without effect). It costs `forcedExitFee` (as `msg.value`),
    ///         credited to the governor, and at most `MAX_OPEN_FORCED_EXITS` may wait at once.
    /// @param account Layer-2 account index.
    /// @param token Its token id.
    function requestForcedExit(uint32 account, uint32 token) external payable {
        if (exodusMode) revert ExodusActive();
        if (msg.value != forcedExitFee) revert WrongForcedExitFee(forcedExitFee);
        if (uint256(account) >> depth != 0) revert AccountOutOfRange();
        if (token >= tokens.length) revert UnknownToken();
        // Fewer forced exits than the cap were ever requested, or the open ones are counted.
        if (forcedExitCount >= MAX_OPEN_FORCED_EXITS && openForcedExits() >= MAX_OPEN_FORCED_EXITS) {
            revert TooManyForcedExits();
        }
        // Type (8 bits), token (32), requester (160) and account (32) in one field element,
        // so the queue step is a two-input hash.
        uint256 tag = _tag(2, token, msg.sender) + (uint256(account) << 200);
        uint256 index = _enqueue(poseidon2.hash([priorityHashAt(priorityTail), tag]), true);
        if (msg.value != 0) {
            pendingWithdrawals[governor][0] += msg.value;
            emit ForcedExitFeeCredited(index, governor, msg.value);
        }
        emit ForcedExitQueued(index, msg.sender, account, token);
    }

    /// @notice How many forced exits wait unconsumed.
    /// @return open Their number.
    function openForcedExits() public view returns (uint256 open) {
        uint256 head = priorityHead;
        // Those queued at or after the head: all of them, less those before it.
        if (head == priorityTail) return 0;
        (, uint256 exitsBefore) = _record(head);
        open = forcedExitCount - exitsBefore;
    }

    /// @dev A queued operation's type (1 deposit, 2 forced exit), token and L1 address in one
    ///      field element (200 bits), as the circuit packs them.
    function _tag(uint256 opType, uint32 token, address owner) private pure returns (uint256) {
        return opType + (uint256(token) << 8) + (uint256(uint160(owner)) << 40);
    }

    /// @dev When operation `index` was queued and how many forced exits came before it.
    function _record(uint256 index) private view returns (uint256 queuedAt, uint256 exitsBefore) {
        uint256 record = queueRecords[index >> 2] >> (64 * (index & 3));
        queuedAt = deployedAt + uint32(record >> 32);
        exitsBefore = uint32(record);
    }

    function _enqueue(uint256 hashAfter, bool forcedExit) private returns (uint256 index) {
        index = priorityTail;
        uint64 exits = forcedExitCount;
        uint256 elapsed = block.timestamp - deployedAt;
        if (elapsed > type(uint32).max || exits >= type(uint32).max) revert QueueExhausted();
        priorityHashAfter[index] = hashAfter;
        queueRecords[index >> 2] |= ((elapsed << 32) | exits) << (64 * (index & 3));
        priorityTail = uint64(index + 1);
        if (forcedExit) forcedExitCount = exits + 1;
    }

    /// @notice Verifies a batch whose pubdata is in calldata and makes its new root final,
    ///         pops the priority operations it consumed and pays its payouts (each straight to
    ///         its recipient, or into the recipient's pending balance if that payment fails).
    ///         Only an operator may submit, or anyone from `openSubmissionAt()`;
    ///         always in a top-level call from an account without code; with at most
    ///         `maxPayouts` payouts; and, from anyone but an operator, consuming at least one
    ///         queued operation once the oldest has waited more than half of `priorityWindow`.
    /// @param batch The batch: its number (the last one plus one), the current and new roots,
    ///        how many queued operations it consumed, the data hash of its pubdata (the proof's
    ///        hash of the pubdata's elements), its pubdata (fee header, then one chunk per
    ///        slot) and its L1 payouts in slot order.
    /// @param proof The Groth16 proof (A, B with imaginary parts first, C).
    function submitBatch(BatchData calldata batch, uint256[8] calldata proof) external {
        Cursor memory cursor = _start();
        IBatchVerifier verifier = _admit(batch, batch.pubdata.length, cursor);
        (uint256 challenge, uint256 evaluation) = _openCalldata(batch);
        if (!verifier.verifyProof(proof, _publicInputs(batch, cursor.head, challenge, evaluation))) {
            revert InvalidProof();
        }
        _advance(batch, cursor);
        _commit(cursor);
        _pay(batch.payouts);
    }

    /// @notice `submitBatch` for a batch whose pubdata is in one of this transaction's blobs
    ///         (EIP-4844), with `batch.pubdata` empty: the point-evaluation precompile checks
    ///         the blob's value at the challenge, and the proof the same value of its data.
    ///         Same callers, order and limits as `submitBatch`.
    /// @param batch The batch, its `pubdata` empty.
    /// @param blob The blob's index in the transaction, the pubdata's length, and the opening
    ///        at the challenge (value, KZG commitment and proof).
    /// @param proof The Groth16 proof (A, B with imaginary parts first, C).
    function submitBlobBatch(BatchData calldata batch, BlobOpening calldata blob, uint256[8] calldata proof)
        external
    {
        Cursor memory cursor = _start();
        IBatchVerifier verifier = _admit(batch, blob.length, cursor);
        (uint256 challenge, uint256 evaluation) = _openBlob(batch, blob);
        if (!verifier.verifyProof(proof, _publicInputs(batch, cursor.head, challenge, evaluation))) {
            revert InvalidProof();
        }
        _advance(batch, cursor);
        _commit(cursor);
        _pay(batch.payouts);
    }

    /// @notice Several consecutive batches of one circuit size in one transaction, their proofs
    ///         checked together (`IBatchVerifier.verifyProofs`): the transaction's base cost,
    ///         the storage writes and three of the four pairings are paid once instead of once
    ///         a batch. Each batch is checked as `submitBatch` checks it, from the root,
    ///         number and queue head the one before it leaves; all are final, or none is.
    ///         Only an operator may send more than one; otherwise the callers of `submitBatch`.
    /// @param batches The batches in order, each in calldata (`blobs` empty) or each with
    ///        its `pubdata` empty in the blob its opening names.
    /// @param blobs Nothing, or one opening per batch, as `submitBlobBatch` takes it.
    /// @param proofs One Groth16 proof per batch.
    function submitBatches(BatchData[] calldata batches, BlobOpening[] calldata blobs, uint256[8][] calldata proofs)
        external
    {
        uint256 count = batches.length;
        if (count == 0 || proofs.length != count || (blobs.length != 0 && blobs.length != count)) {
            revert BatchCountMismatch();
        }
        Cursor memory cursor = _start();
        // The fallback stays one batch per inactivity interval, as with `submitBatch`.
        if (!cursor.operator && count > 1) revert NotOperator();
        uint256[9][] memory inputs = new uint256[9][](count);
        IBatchVerifier verifier;
        for (uint256 i = 0; i < count; ++i) {
            BatchData calldata batch = batches[i];
            uint256 challenge;
            uint256 evaluation;
            IBatchVerifier own;
            if (blobs.length == 0) {
                own = _admit(batch, batch.pubdata.length, cursor);
                (challenge, evaluation) = _openCalldata(batch);
            } else {
                own = _admit(batch, blobs[i].length, cursor);
                (challenge, evaluation) = _openBlob(batch, blobs[i]);
            }
            if (i == 0) verifier = own;
            else if (own != verifier) revert MixedBatchSizes();
            inputs[i] = _publicInputs(batch, cursor.head, challenge, evaluation);
            _advance(batch, cursor);
        }
        if (!verifier.verifyProofs(proofs, inputs)) revert InvalidProof();
        _commit(cursor);
        for (uint256 i = 0; i < count; ++i) {
            _pay(batches[i].payouts);
        }
    }

    /// @dev The checks on the caller of a submission; where the chain stands.
    function _start() private view returns (Cursor memory cursor) {
        // The batch's data must be in a transaction's own calldata or blobs, where `verity
        // reconstruct` reads it; EIP-7702 delegated accounts have code and could relay from it.
        if (msg.sender != tx.origin || msg.sender.code.length != 0) revert NotTopLevelCall();
        bool operator = isOperator[msg.sender];
        if (!operator && block.timestamp < openSubmissionAt()) revert NotOperator();
        if (exodusMode) revert ExodusActive();
        cursor = Cursor({number: batchNumber, root: stateRoot, head: priorityHead, operator: operator});
    }

    /// @dev The checks on a batch before its proof, from where `cursor` stands: in which
    ///      order, with what. Returns the verifier of its size (from its pubdata's `length`).
    function _admit(BatchData calldata batch, uint256 length, Cursor memory cursor)
        private
        view
        returns (IBatchVerifier verifier)
    {
        if (batch.payouts.length > maxPayouts) revert TooManyPayouts();
        if (batch.number != cursor.number + 1) revert WrongBatchNumber(cursor.number + 1, batch.number);
        if (batch.oldRoot != cursor.root) revert WrongOldRoot();
        // Both go to the verifier, the data hash plus the payouts' term (reduced there), and
        // both into the challenge: one value each, as the circuit holds them.
        if (batch.newRoot >= R || batch.dataHash >= R) revert NotInField();
        verifier = _verifierFor(length);
        uint256 head = cursor.head;
        uint256 tail = priorityTail;
        if (head + batch.priorityOps > tail) revert PriorityOpsUnavailable();
        // In the fallback, batches that skip the queue cannot run its clock out: once the
        // oldest operation has waited more than half the window, a non-operator's batch must
        // consume some (audit H-2), so whoever lands batches moves the queue on instead of
        // pushing it into exodus. Operators are exempt: a batch of theirs sealed before an
        // operation arrived, and delayed on its way to L1, must stay submittable.
        if (
            !cursor.operator && batch.priorityOps == 0 && head < tail
                && block.timestamp + priorityWindow / 2 > priorityDeadline(head)
        ) {
            revert PriorityOpsDue();
        }
    }

    /// @dev The challenge of a batch in calldata and its pubdata's value there. The challenge
    ///      is fixed by the published data, the data the proof holds (its hash) and the
    ///      payouts, so data or payouts differing from the proof's agree at it only by chance.
    function _openCalldata(BatchData calldata batch) private pure returns (uint256 challenge, uint256 evaluation) {
        challenge = _challenge(keccak256(batch.pubdata), batch.dataHash, batch.payouts);
        evaluation = _evaluate(batch.pubdata, challenge);
    }

    /// @dev The challenge of a batch in a blob and the blob's value there, checked by the
    ///      point-evaluation precompile.
    function _openBlob(BatchData calldata batch, BlobOpening calldata blob)
        private
        view
        returns (uint256 challenge, uint256 evaluation)
    {
        if (batch.pubdata.length != 0) revert MalformedPubdata();
        bytes32 versionedHash = blobhash(blob.index);
        if (versionedHash == bytes32(0)) revert NoBlob(blob.index);
        // As in calldata, with the blob's versioned hash (a hash of its KZG commitment)
        // standing for the published data.
        challenge = _challenge(versionedHash, batch.dataHash, batch.payouts);
        evaluation = blob.evaluation;
        // The precompile checks the commitment against the versioned hash, the value's range
        // and the proof. Its output (the blob size and the modulus) tells it from an account
        // without code on a chain without it, where the call succeeds with nothing.
        (bool ok, bytes memory output) = POINT_EVALUATION.staticcall(
            abi.encodePacked(versionedHash, challenge, evaluation, blob.commitment, blob.proof)
        );
        if (!ok || output.length != 64) revert InvalidBlobOpening();
        (, uint256 modulus) = abi.decode(output, (uint256, uint256));
        if (modulus != BLS_MODULUS) revert InvalidBlobOpening();
    }

    /// @dev A proven batch: announces it and moves `cursor` past it. Storage that the next
    ///      batch would overwrite waits for `_commit`, and its payouts for `_pay`.
    function _advance(BatchData calldata batch, Cursor memory cursor) private {
        emit BatchFinalized(batch.number, batch.newRoot, batch.dataHash, batch.priorityOps);
        cursor.number = batch.number;
        cursor.root = batch.newRoot;
        cursor.head += batch.priorityOps;
    }

    /// @dev Pays a final batch's payouts, after every state change of its submission (the
    ///      recipients and tokens run code) and under the reentrancy lock. Each is sent
    ///      straight to its recipient, which spares the 22,100 gas of a fresh pending-balance
    ///      word and the recipient a claim; a payment that fails is kept in the pending balance
    ///      instead, so a refusing recipient does not revert the batch. That fallback costs
    ///      more gas than a payment, and a recipient may accept in a submitter's gas estimate
    ///      and refuse on chain: submitters reserve gas for it (the node adds 95,000 a payout
    ///      to its estimate).
    function _pay(Payout[] calldata payouts) private {
        if (payouts.length == 0) return;
        locked = true;
        for (uint256 i = 0; i < payouts.length; ++i) {
            Payout calldata payout = payouts[i];
            uint128 amount = payout.amount;
            if (amount == 0) continue;
            address recipient = payout.recipient;
            uint32 token = payout.token;
            if (_send(recipient, token, amount)) {
                emit PayoutSent(recipient, token, amount);
            } else {
                pendingWithdrawals[recipient][token] += amount;
                emit WithdrawalPending(recipient, token, amount);
            }
        }
        locked = false;
    }

    /// @dev Tries to pay `amount` of `token` to `recipient`; false if the payment failed.
    ///      ETH goes with the 2,300-gas stipend only: enough for an account without code, not
    ///      for a contract to do more than log. A token's `transfer` gets `TOKEN_PAYOUT_GAS`,
    ///      and the submission reverts unless that much is left to give (so a low gas limit
    ///      reverts it rather than sends the payout to the pending balance), and counts as
    ///      paid when it returns nothing or true. Neither copies more than one word of return data, which the
    ///      callee could make costly.
    function _send(address recipient, uint32 token, uint256 amount) private returns (bool ok) {
        if (token == 0) {
            assembly ("memory-safe") {
                ok := call(0, recipient, amount, 0, 0, 0, 0)
            }
            return ok;
        }
        address erc20 = tokens[token];
        // A call gets at most 63/64 of what is left (EIP-150); the rest covers this frame.
        if (gasleft() < TOKEN_PAYOUT_GAS + TOKEN_PAYOUT_GAS / 63 + 5_000) revert PayoutGasTooLow();
        bytes memory data = abi.encodeCall(IERC20Minimal.transfer, (recipient, amount));
        uint256 returned;
        uint256 size;
        assembly ("memory-safe") {
            mstore(0, 0)
            ok := call(TOKEN_PAYOUT_GAS, erc20, 0, add(data, 32), mload(data), 0, 32)
            size := returndatasize()
            returned := mload(0)
        }
        // `registerToken` does not check for code, and a call to an address without code
        // succeeds with nothing: such a "token" pays nobody.
        return ok && (size == 0 ? erc20.code.length != 0 : size >= 32 && returned == 1);
    }

    /// @dev Makes where `cursor` stands final.
    function _commit(Cursor memory cursor) private {
        stateRoot = cursor.root;
        batchNumber = cursor.number;
        lastBatchAt = uint64(block.timestamp);
        priorityHead = uint64(cursor.head);
    }

    /// @dev The challenge point for data published under `dataCommitment` with data hash
    ///      `dataHash`, and `payouts`: the low 128 bits of the keccak of the three, the payouts
    ///      as their calldata holds them (three words each, `verity-circuits`' `Payout::digest`).
    function _challenge(bytes32 dataCommitment, uint256 dataHash, Payout[] calldata payouts)
        private
        pure
        returns (uint256)
    {
        bytes32 payoutsDigest;
        assembly ("memory-safe") {
            let size := mul(payouts.length, 0x60)
            let at := mload(0x40)
            calldatacopy(at, payouts.offset, size)
            payoutsDigest := keccak256(at, size)
        }
        return uint256(keccak256(abi.encodePacked(dataCommitment, dataHash, payoutsDigest))) & type(uint128).max;
    }

    /// @dev The verifier of the circuit size whose pubdata has `length` bytes.
    function _verifierFor(uint256 length) private view returns (IBatchVerifier verifier) {
        uint256 chunkBytes = (48 + 2 * uint256(depth) + 7) / 8;
        uint256 header = feeSlots * FEE_ENTRY_BYTES;
        if (length <= header || (length - header) % chunkBytes != 0) revert MalformedPubdata();
        uint256 slots = (length - header) / chunkBytes;
        verifier = verifiers[slots];
        if (address(verifier) == address(0)) revert NoVerifierForSize(slots);
    }

    /// @dev The batch statement's public inputs (`verity-circuits`' `batch::statement`).
    function _publicInputs(BatchData calldata batch, uint256 head, uint256 challenge, uint256 evaluation)
        private
        view
        returns (uint256[9] memory inputs)
    {
        inputs = [
            domain,
            batch.oldRoot,
            batch.newRoot,
            priorityHashAt(head),
            priorityHashAt(head + batch.priorityOps),
            addmod(batch.dataHash, _payoutTerm(batch.payouts, challenge), R),
            challenge,
            evaluation & type(uint128).max,
            evaluation >> 128
        ];
    }

    /// @dev The payouts' polynomial at `z` over BN254's scalar field (`verity-circuits`'
    ///      `Payout::term`): from 1, each payout two Horner steps, `recipient + token·2^160`
    ///      then the amount. It stands where a Poseidon hash a payout cost about 22,000 gas.
    function _payoutTerm(Payout[] calldata payouts, uint256 z) private pure returns (uint256 q) {
        q = 1;
        for (uint256 i = 0; i < payouts.length; ++i) {
            Payout calldata payout = payouts[i];
            uint256 packed = uint256(uint160(payout.recipient)) | (uint256(payout.token) << 160);
            q = addmod(mulmod(addmod(mulmod(q, z, R), packed, R), z, R), payout.amount, R);
        }
    }

    /// @dev `data` as the coefficients of a polynomial over BLS12-381's scalar field (31-byte
    ///      big-endian elements, the last zero-padded at its end), evaluated at `z` by
    ///      Horner's rule.
    function _evaluate(bytes calldata data, uint256 z) private pure returns (uint256 y) {
        uint256 length = data.length;
        uint256 full = length / ELEMENT_BYTES;
        uint256 tail = length - full * ELEMENT_BYTES;
        // Hand-written loop: checked arithmetic would cost more than the evaluation itself.
        assembly ("memory-safe") {
            let start := data.offset
            if tail {
                // The last, partial element: past the data's end calldata holds other
                // fields or nothing, so the bytes beyond it are cleared.
                let missing := mul(8, sub(ELEMENT_BYTES, tail))
                let element := shl(missing, shr(missing, shr(8, calldataload(add(start, mul(full, ELEMENT_BYTES))))))
                y := element
            }
            for { let at := add(start, mul(full, ELEMENT_BYTES)) } gt(at, start) {} {
                at := sub(at, ELEMENT_BYTES)
                y := addmod(mulmod(y, z, BLS_MODULUS), shr(8, calldataload(at)), BLS_MODULUS)
            }
        }
    }

    /// @notice Pays the caller's pending balance of `token` to the caller.
    /// @param token Token id.
    function withdraw(uint32 token) external nonReentrant {
        _withdraw(msg.sender, token, msg.sender);
    }

    /// @notice Pays the caller's pending balance of `token` to `recipient`.
    /// @param token Token id.
    /// @param recipient Who receives it.
    function withdrawTo(uint32 token, address recipient) external nonReentrant {
        if (recipient == address(0)) revert ZeroAddress();
        _withdraw(msg.sender, token, recipient);
    }

    /// @notice Pays `owner`'s pending balance of `token` to `owner`; anyone may call it, for
    ///         owners (contracts) that cannot call `withdraw` themselves.
    /// @param owner Whose balance, and who receives it.
    /// @param token Token id.
    function withdrawFor(address owner, uint32 token) external nonReentrant {
        if (owner == address(0)) revert ZeroAddress();
        _withdraw(owner, token, owner);
    }

    /// @dev Zeroes `owner`'s pending balance of `token`, then pays it to `recipient`.
    function _withdraw(address owner, uint32 token, address recipient) private {
        uint256 amount = pendingWithdrawals[owner][token];
        if (amount == 0) revert NothingPending();
        pendingWithdrawals[owner][token] = 0;
        if (token == 0) {
            (bool ok, bytes memory reason) = recipient.call{value: amount}("");
            if (!ok) _bubble(reason);
        } else {
            _call(tokens[token], abi.encodeCall(IERC20Minimal.transfer, (recipient, amount)));
        }
        emit Withdrawn(owner, recipient, token, amount);
    }

    /// @notice Starts exodus mode once the oldest unconsumed operation is past its deadline.
    function activateExodus() external {
        if (exodusMode) revert ExodusActive();
        uint256 head = priorityHead;
        if (head == priorityTail || block.timestamp <= priorityDeadline(head)) revert DeadlineNotPassed();
        exodusMode = true;
        emit ExodusActivated(head);
    }

    /// @notice In exodus mode, credits an account's whole balance, proven against the last
    ///         verified root, to its L1 owner's pending balance; once per account.
    /// @param account Account index.
    /// @param pubkey The account's key (x, y).
    /// @param owner Its L1 owner.
    /// @param token Its token.
    /// @param balance Its balance.
    /// @param nonce Its nonce.
    /// @param siblings Per level from the leaf up, the three siblings in child order.
    function exit(
        uint32 account,
        uint256[2] calldata pubkey,
        address owner,
        uint32 token,
        uint128 balance,
        uint32 nonce,
        uint256[3][] calldata siblings
    ) external {
        if (!exodusMode) revert ExodusNotActive();
        if (exited[account]) revert AlreadyExited();
        if (uint256(account) >> depth != 0 || siblings.length != depth / 2) revert AccountOutOfRange();
        uint256 packed = uint256(token) + (uint256(nonce) << 32) + (uint256(uint160(owner)) << 64);
        uint256 node = poseidon4.hash([pubkey[0], pubkey[1], uint256(balance), packed]);
        uint256 position = account;
        for (uint256 level = 0; level < siblings.length; ++level) {
            uint256 slot = position & 3;
            uint256[4] memory children;
            uint256 next = 0;
            for (uint256 child = 0; child < 4; ++child) {
                children[child] = child == slot ? node : siblings[level][next++];
            }
            node = poseidon4.hash(children);
            position >>= 2;
        }
        if (node != stateRoot) revert InvalidMerkleProof();
        exited[account] = true;
        pendingWithdrawals[owner][token] += balance;
        emit Exited(account, owner, token, balance);
    }

    /// @notice In exodus mode, refunds a deposit no batch consumed to its depositor, who
    ///         shows its fields (from its `DepositQueued` event); once each.
    /// @param index The deposit's queue index.
    /// @param token Its token.
    /// @param amount Its amount.
    /// @param pubkeyX Its key's x.
    /// @param pubkeyY Its key's y.
    function refundDeposit(uint256 index, uint32 token, uint128 amount, uint256 pubkeyX, uint256 pubkeyY)
        external
    {
        if (!exodusMode) revert ExodusNotActive();
        if (index < priorityHead || index >= priorityTail || refunded[index]) revert NotRefundable();
        uint256 tag = _tag(1, token, msg.sender);
        if (poseidon5.hash([priorityHashAt(index), tag, pubkeyX, pubkeyY, amount]) != priorityHashAfter[index]) {
            revert NotRefundable();
        }
        refunded[index] = true;
        pendingWithdrawals[msg.sender][token] += amount;
        emit DepositRefunded(index, msg.sender, token, amount);
    }

    /// @dev Whether 8·(x, y) is the identity: three doublings in projective coordinates on
    ///      a·x² + y² = 1 + d·x²·y² (a = 168700). For curve points the denominators
    ///      a·x² + y² = 1 + d·x²y² and 2 − (a·x² + y²) are never zero (d is not a square), so Z
    ///      stays non-zero, and the result is (0, 1) exactly when X = 0 and Y = Z.
    function _smallOrder(uint256 x, uint256 y) private pure returns (bool) {
        uint256 z = 1;
        for (uint256 i = 0; i < 3; ++i) {
            uint256 xx = mulmod(x, x, R);
            uint256 yy = mulmod(y, y, R);
            uint256 ax2 = mulmod(CURVE_A, xx, R);
            uint256 f = addmod(ax2, yy, R);
            uint256 j = addmod(f, R - mulmod(2, mulmod(z, z, R), R), R);
            uint256 x3 = mulmod(mulmod(2, mulmod(x, y, R), R), j, R);
            y = mulmod(f, addmod(ax2, R - yy, R), R);
            z = mulmod(f, j, R);
            x = x3;
        }
        return x == 0 && y == z;
    }

    /// @dev Re-raises a failed call's revert reason, or TransferFailed when it gave none.
    function _bubble(bytes memory reason) private pure {
        if (reason.length == 0) revert TransferFailed();
        assembly ("memory-safe") {
            revert(add(reason, 32), mload(reason))
        }
    }

    /// @dev A token call that must succeed and, if it returns data, return true.
    function _call(address token, bytes memory data) private {
        (bool ok, bytes memory result) = token.call(data);
        if (!ok || (result.length != 0 && !abi.decode(result, (bool))) || (result.length == 0 && token.code.length == 0)) {
            revert TransferFailed();
        }
    }
}
