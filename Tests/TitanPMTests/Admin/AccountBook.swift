import Distributed
import TitanPM
import TitanPMMacros

/// A service with a `@ServiceContract` manifest, so the admin endpoint can show its policies
/// (not `Ledger`: that one is the contract tests').
@ServiceContract
distributed actor AccountBook: ProcessService {
    static let name = "account-book"

    private var balances: [String: Int] = [:]

    @RateLimit(50, per: .seconds(1))
    @Timeout(.seconds(2))
    distributed func deposit(account: String, amount: Int) -> Int {
        balances[account, default: 0] += amount
        return balances[account]!
    }

    distributed func balance(of account: String) -> Int {
        balances[account] ?? 0
    }
}
