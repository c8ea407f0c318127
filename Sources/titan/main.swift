print("titan")
