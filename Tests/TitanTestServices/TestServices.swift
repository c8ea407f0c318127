import TitanPM
