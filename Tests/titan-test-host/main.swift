import TitanPM
print("titan-test-host")
