import Glibc

/// Entry for `TitanPMTestKit`'s constructor. Hosting is wired in by the core work in progress.
@_cdecl("titan_pm_host_if_child")
public func _titanPMHostIfChild() {
    print("titan: hosting is not built yet")
    _exit(70)
}
