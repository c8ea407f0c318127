import TitanPM
print("titan-demo")
