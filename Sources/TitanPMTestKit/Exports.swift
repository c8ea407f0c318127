// A test target that imports TitanPMTestKit has the whole runtime API too.
@_exported import TitanPM
